/**
 * Proto3-JSON normalisation for gax APIs, driven by the client libraries' own protos.json.
 *
 * gax clients in REST mode send `$alt=json;enum-encoding=int` and encode enums as numbers,
 * wrappers (Int64Value, BoolValue) as bare values and int64 as strings. Handlers want one
 * canonical shape (enum names), and answers must come back in the encoding the caller asked
 * for. Round-tripping through the real message types does both and also drops fields the
 * API does not have, which is exactly what the real server's JSON transcoder does.
 */
import type protobuf from 'protobufjs';
import * as serializer from 'proto3-json-serializer';
import { domainErrors, wantsIntEnums } from '../../core/helpers.js';
import type { EmuRequest, EmuResponse } from '../../core/types.js';
export { protoRoot } from '../../core/enums.js';
export { wantsIntEnums } from '../../core/helpers.js';

export type Json = Record<string, unknown>;

export class ProtoCodec {
  /** pkg: the proto package short names are resolved in, e.g. 'google.cloud.sql.v1'. */
  constructor(private readonly root: protobuf.Root, private readonly pkg: string) {}

  private type(name: string): protobuf.Type {
    return this.root.lookupType(name.startsWith('google.') ? name : `${this.pkg}.${name}`);
  }

  /**
   * Parse a request body into canonical proto3 JSON (enum names, unknown fields dropped).
   * Throws a plain Error with a readable message when the body does not fit the type.
   */
  decode(typeName: string, body: unknown): Json {
    if (body === undefined || body === null) return {};
    const t = this.type(typeName);
    const msg = serializer.fromProto3JSON(t, body as serializer.JSONValue);
    if (!msg) return {};
    const json = (serializer.toProto3JSON(msg as protobuf.Message, { numericEnums: false }) ?? {}) as Json;
    return stripEmptyMaps(t, json);
  }

  /** Render a canonical object for the wire, with enums as numbers when asked. */
  encode(typeName: string, value: Json, intEnums: boolean): Json {
    const t = this.type(typeName);
    const msg = serializer.fromProto3JSON(t, value as serializer.JSONValue);
    if (!msg) return {};
    return stripEmptyMaps(t, (serializer.toProto3JSON(msg as protobuf.Message, { numericEnums: intEnums }) ?? {}) as Json);
  }
}

/** An empty map is the same as an absent one in proto3; drop them so "unset" has one form. */
function stripEmptyMaps(type: protobuf.Type, value: Json): Json {
  for (const [k, v] of Object.entries(value)) {
    const field = type.fields[k];
    if (!field || v === null || typeof v !== 'object') continue;
    if (field.map) {
      if (Object.keys(v as Json).length === 0) delete value[k];
      continue;
    }
    const rt = field.resolvedType;
    if (!rt || !('fields' in rt) || rt.fullName.startsWith('.google.protobuf.')) continue;
    if (Array.isArray(v)) v.forEach((x) => x && typeof x === 'object' && stripEmptyMaps(rt as protobuf.Type, x as Json));
    else stripEmptyMaps(rt as protobuf.Type, v as Json);
  }
  return value;
}

/**
 * What a gax-style module built on a ProtoCodec needs: its domain's errors, request bodies
 * decoded (a body that does not fit the message is a 400, as the real API says it), replies
 * encoded with int enums when the client asked for them.
 */
export function codecApi(codec: ProtoCodec, domain: string) {
  const err = domainErrors(domain);
  return {
    err,
    decode(type: string, body: unknown): Json {
      try {
        return codec.decode(type, body);
      } catch (e) {
        throw err(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. ${(e as Error).message}`);
      }
    },
    reply(req: EmuRequest, type: string, value: Json): EmuResponse {
      return { body: codec.encode(type, value, wantsIntEnums(req)) };
    },
  };
}
