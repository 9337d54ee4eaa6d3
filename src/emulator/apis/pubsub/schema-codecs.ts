import avro from 'avsc';
import protobuf from 'protobufjs';
import { psErrors } from './common.js';

export type SchemaType = 'AVRO' | 'PROTOCOL_BUFFER';
export type Encoding = 'JSON' | 'BINARY';

/** A parsed schema definition that can check message payloads. */
export interface CompiledSchema {
  /** Undefined when `data` is a valid message in `encoding`, else why not. */
  check(data: Buffer, encoding: Encoding): string | undefined;
}

const cache = new Map<string, CompiledSchema>();

/** Parses a definition as Pub/Sub does on schemas.create / schemas:validate; INVALID_ARGUMENT if it is not one. */
export function compileSchema(type: string | undefined, definition: unknown): CompiledSchema {
  if (typeof definition !== 'string' || definition.trim() === '') throw psErrors.invalid('The schema definition is empty.', 'schema.definition');
  const key = `${type}\u0000${definition}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let compiled: CompiledSchema;
  if (type === 'AVRO') compiled = compileAvro(definition);
  else if (type === 'PROTOCOL_BUFFER') compiled = compileProto(definition);
  else throw psErrors.invalid(`Invalid schema type: ${String(type)}. Must be AVRO or PROTOCOL_BUFFER.`, 'schema.type');
  cache.set(key, compiled);
  return compiled;
}

function compileAvro(definition: string): CompiledSchema {
  let type: avro.Type;
  try {
    // Avro's JSON encoding wraps non-null union branches ({"string": "x"}), as Pub/Sub expects.
    type = avro.Type.forSchema(JSON.parse(definition) as avro.Schema, { wrapUnions: true });
  } catch (e) {
    throw psErrors.invalid(`AVRO schema definition is not valid: ${(e as Error).message}`, 'schema.definition');
  }
  return {
    check(data, encoding) {
      try {
        if (encoding === 'BINARY') type.fromBuffer(data);
        else type.fromString(data.toString('utf8'));
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  };
}

function compileProto(definition: string): CompiledSchema {
  let msg: protobuf.Type;
  try {
    const { root } = protobuf.parse(definition, { keepCase: true });
    root.resolveAll();
    const top = collectTopLevelMessages(root);
    if (top.length !== 1) throw new Error(`a definition has exactly one top-level message type, found ${top.length}`);
    msg = top[0]!;
  } catch (e) {
    throw psErrors.invalid(`PROTOCOL_BUFFER schema definition is not valid: ${(e as Error).message}`, 'schema.definition');
  }
  return {
    check(data, encoding) {
      try {
        if (encoding === 'BINARY') {
          msg.decode(data);
          return undefined;
        }
        const obj = JSON.parse(data.toString('utf8')) as unknown;
        return checkJson(msg, obj);
      } catch (e) {
        return (e as Error).message;
      }
    },
  };
}

function collectTopLevelMessages(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) out.push(child);
    else if (child instanceof protobuf.Namespace) out.push(...collectTopLevelMessages(child));
  }
  return out;
}

/**
 * Strict proto3 JSON check: unknown fields and wrongly typed values are errors (int64 as a
 * decimal string, enums by name or number, bytes as base64, well-known types by their JSON
 * form are all fine), which protobufjs' verify() alone would not enforce.
 */
function checkJson(type: protobuf.Type, obj: unknown, path = ''): string | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return `${path || type.name}: expected an object`;
  for (const [k, v] of Object.entries(obj)) {
    const field = type.fields[k] ?? Object.values(type.fields).find((f) => f.options?.json_name === k || camel(f.name) === k);
    const at = path ? `${path}.${k}` : k;
    if (!field) return `${at}: unknown field`;
    if (v === null) continue;
    field.resolve();
    if (field.map) {
      if (typeof v !== 'object' || Array.isArray(v)) return `${at}: expected a map`;
      for (const [mk, mv] of Object.entries(v as object)) {
        const err = checkValue(field, mv, `${at}.${mk}`);
        if (err) return err;
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) return `${at}: expected a list`;
      for (const [i, item] of v.entries()) {
        const err = checkValue(field, item, `${at}[${i}]`);
        if (err) return err;
      }
    } else {
      const err = checkValue(field, v, at);
      if (err) return err;
    }
  }
  return undefined;
}

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function checkValue(field: protobuf.Field, v: unknown, at: string): string | undefined {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return rt.fullName.startsWith('.google.protobuf.') ? undefined : checkJson(rt, v, at);
  if (rt instanceof protobuf.Enum) {
    return (typeof v === 'string' && v in rt.values) || (Number.isInteger(v) && (v as number) in rt.valuesById) ? undefined : `${at}: not a ${rt.name} value`;
  }
  const t = field.type;
  const intLike = (x: unknown) => Number.isInteger(x) || (typeof x === 'string' && /^-?\d+$/.test(x));
  if (t === 'string') return typeof v === 'string' ? undefined : `${at}: expected a string`;
  if (t === 'bool') return typeof v === 'boolean' ? undefined : `${at}: expected a boolean`;
  if (t === 'bytes') return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) ? undefined : `${at}: expected base64 bytes`;
  if (INT32.has(t)) return intLike(v) && Math.abs(Number(v)) <= 0xffffffff ? undefined : `${at}: expected a 32-bit integer`;
  if (INT64.has(t)) return intLike(v) ? undefined : `${at}: expected a 64-bit integer`;
  if (t === 'float' || t === 'double') {
    return typeof v === 'number' || (typeof v === 'string' && (/^(NaN|-?Infinity)$/.test(v) || !Number.isNaN(Number(v)))) ? undefined : `${at}: expected a number`;
  }
  return undefined;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
