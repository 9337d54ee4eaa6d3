/**
 * The topology speaks each API's REST JSON (what the docs show: durations as "300s", enums as
 * names, int64 as strings or numbers). The gax clients take and return protobufjs "object" form
 * (durations as {seconds, nanos}, every default filled in). These two functions translate
 * between them with the same proto3 JSON mapping the libraries use on the wire.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { fromProto3JSON, toProto3JSON, type JSONObject } from 'proto3-json-serializer';

const require = createRequire(import.meta.url);

/** npm package whose build/protos/protos.json holds the types. */
export type ProtoPackage = 'run' | 'redis' | 'sql' | 'compute' | 'vpc-access' | 'secret-manager' | 'pubsub';

const roots = new Map<ProtoPackage, protobuf.Root>();

function root(pkg: ProtoPackage): protobuf.Root {
  let r = roots.get(pkg);
  if (!r) {
    const path = pkg === 'pubsub' ? '@google-cloud/pubsub/build/protos/protos.json' : `@google-cloud/${pkg}/build/protos/protos.json`;
    r = protobuf.Root.fromJSON(require(path) as protobuf.INamespace);
    roots.set(pkg, r);
  }
  return r;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };
/** For requests: only what we set (a default-filled body would send machineType: "" and the like). */
const TO_REQUEST: protobuf.IConversionOptions = { longs: String, enums: String, defaults: false, oneofs: false };

/** REST JSON -> the object form a gax client method expects. */
export function toClient(pkg: ProtoPackage, type: string, json: Record<string, unknown>): Record<string, unknown> {
  const T = root(pkg).lookupType(type);
  // JSON round trip drops undefined members, which the serializer rejects.
  const msg = fromProto3JSON(T, JSON.parse(JSON.stringify(json)) as JSONObject);
  if (!msg) throw new Error(`cannot encode ${type}`);
  return T.toObject(msg, TO_REQUEST);
}

/** A gax client's object form -> REST JSON (defaults still present; the diff treats zero as absent). */
export function fromClient(pkg: ProtoPackage, type: string, obj: unknown): Record<string, unknown> {
  const T = root(pkg).lookupType(type);
  return toProto3JSON(T.fromObject(obj as Record<string, unknown>)) as Record<string, unknown>;
}
