import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const roots = new Map<string, protobuf.Root>();

/** The client package's own proto descriptors (build/protos/protos.json): the wire's source of truth. */
export function protoRoot(pkg: string): protobuf.Root {
  let root = roots.get(pkg);
  if (!root) {
    const json = require(`${pkg}/build/protos/protos.json`) as protobuf.INamespace;
    root = protobuf.Root.fromJSON(json);
    root.resolveAll();
    roots.set(pkg, root);
  }
  return root;
}

type Mode = 'names' | 'numbers';

function walk(type: protobuf.Type, value: unknown, mode: Mode): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  // Well-known types (Duration "3600s", Timestamp, Struct, Any) keep their JSON forms.
  if (type.fullName.startsWith('.google.protobuf.')) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const field = type.fields[k] ?? type.fields[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
    if (!field || v === null || v === undefined) {
      out[k] = v;
      continue;
    }
    const rt = field.resolvedType;
    const conv = (x: unknown): unknown => {
      if (rt instanceof protobuf.Enum) {
        if (mode === 'names' && typeof x === 'number') return rt.valuesById[x] ?? x;
        if (mode === 'numbers' && typeof x === 'string' && x in rt.values) return rt.values[x];
        return x;
      }
      if (rt instanceof protobuf.Type) return walk(rt, x, mode);
      return x;
    };
    if (field.map && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([mk, mv]) => [mk, conv(mv)]));
    else if (Array.isArray(v)) out[k] = v.map(conv);
    else out[k] = conv(v);
  }
  return out;
}

/**
 * Enum codec for one message type of one client package. gax clients may send enums as
 * integers (`$alt=json;enum-encoding=int`): `toNames` makes stored resources canonical
 * (names), `forWire` answers in the encoding the caller asked for. Unknown fields pass
 * through untouched.
 */
export function enumCodec(pkg: string, typeName: string) {
  const type = protoRoot(pkg).lookupType(typeName);
  return {
    toNames<T>(value: T): T {
      return walk(type, value, 'names') as T;
    },
    toNumbers<T>(value: T): T {
      return walk(type, value, 'numbers') as T;
    },
    forWire<T>(value: T, intEnums: boolean): T {
      return intEnums ? (walk(type, value, 'numbers') as T) : value;
    },
  };
}
