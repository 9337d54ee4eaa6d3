/**
 * Type-checks a JSON request body against its proto message, as Google's JSON transcoder does
 * before any handler runs: a value of the wrong JSON type, or a field the message does not
 * have, is a 400 INVALID_ARGUMENT naming where (`Invalid value at 'service.template'
 * (type.googleapis.com/google.cloud.run.v2.RevisionTemplate), -1`), never a crash further in.
 * Values are checked, not converted: handlers keep the body as sent.
 */
import protobuf from 'protobufjs';
import { protoRoot } from './enums.js';
import { EmuError } from './types.js';

const SCALAR_TYPE: Record<string, string> = {
  double: 'TYPE_DOUBLE', float: 'TYPE_FLOAT', int64: 'TYPE_INT64', uint64: 'TYPE_UINT64', int32: 'TYPE_INT32', fixed64: 'TYPE_FIXED64',
  fixed32: 'TYPE_FIXED32', bool: 'TYPE_BOOL', string: 'TYPE_STRING', bytes: 'TYPE_BYTES', uint32: 'TYPE_UINT32', sfixed32: 'TYPE_SFIXED32',
  sfixed64: 'TYPE_SFIXED64', sint32: 'TYPE_SINT32', sint64: 'TYPE_SINT64',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function invalid(path: string, what: string, value: unknown): EmuError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value)?.slice(0, 100);
  const message = `Invalid value at '${path}' (${what}), ${shown}`;
  return new EmuError(400, 'INVALID_ARGUMENT', message, undefined, { fieldViolations: [{ field: path, description: message }] });
}

function scalarOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'bytes':
      return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'double':
    case 'float':
      return typeof v === 'number' || (typeof v === 'string' && (/^(NaN|-?Infinity)$/.test(v) || (v.trim() !== '' && Number.isFinite(Number(v)))));
    default: {
      // Integers: a JSON number or a decimal string (64-bit ones are sent as strings).
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n)) return false;
      if (type.startsWith('u') || type.startsWith('fixed')) return n >= 0;
      return type.endsWith('32') ? n >= -(2 ** 31) && n < 2 ** 31 : true;
    }
  }
}

function checkValue(field: protobuf.Field, v: unknown, path: string): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (!(typeof v === 'string' && v in rt.values) && !(typeof v === 'number' && Number.isInteger(v))) throw invalid(path, `type.googleapis.com/${rt.fullName.slice(1)}`, v);
  } else if (rt instanceof protobuf.Type) {
    checkMessage(rt, v, path);
  } else if (!scalarOk(field.type, v)) {
    throw invalid(path, SCALAR_TYPE[field.type] ?? field.type, v);
  }
}

function checkMessage(type: protobuf.Type, value: unknown, path: string): void {
  const name = type.fullName.slice(1);
  if (name.startsWith('google.protobuf.')) {
    // Well-known types have JSON forms of their own; the two this emulator's APIs take as input.
    if (name === 'google.protobuf.Duration' && !(typeof value === 'string' && /^-?\d+(\.\d{1,9})?s$/.test(value))) throw invalid(path, `type.googleapis.com/${name}`, value);
    if (name === 'google.protobuf.Timestamp' && !(typeof value === 'string' && !Number.isNaN(Date.parse(value)))) throw invalid(path, `type.googleapis.com/${name}`, value);
    return;
  }
  if (!isObject(value)) throw invalid(path, `type.googleapis.com/${name}`, value);
  for (const [k, v] of Object.entries(value)) {
    const field = type.fields[k] ?? type.fields[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
    if (!field) {
      const message = `Invalid JSON payload received. Unknown name "${k}" at '${path}': Cannot find field.`;
      throw new EmuError(400, 'INVALID_ARGUMENT', message, undefined, { fieldViolations: [{ field: path, description: message }] });
    }
    // null is proto3 JSON's "default value" for any field.
    if (v === null) continue;
    const at = `${path}.${snake(field.name)}`;
    if (field.map) {
      if (!isObject(v)) throw invalid(at, 'map', v);
      for (const [mk, mv] of Object.entries(v)) checkValue(field, mv, `${at}[${JSON.stringify(mk)}]`);
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw invalid(at, `repeated ${field.resolvedType ? `type.googleapis.com/${field.resolvedType.fullName.slice(1)}` : (SCALAR_TYPE[field.type] ?? field.type)}`, v);
      v.forEach((x, i) => checkValue(field, x, `${at}[${i}]`));
    } else {
      checkValue(field, v, at);
    }
  }
}

/**
 * Throws the transcoder's 400 when `body` does not fit message `typeName` of client package
 * `pkg`; `root` is the request field the body binds to (`service` for CreateService).
 */
export function checkProtoJson(pkg: string, typeName: string, body: unknown, root: string): void {
  checkMessage(protoRoot(pkg).lookupType(typeName), body ?? {}, root);
}

/** The same value without its null fields (proto3 JSON's spelling of "unset"), at any depth. */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === null ? [] : [[k, withoutNulls(v)]]))) as T;
}
