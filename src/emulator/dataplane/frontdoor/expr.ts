/**
 * The subset of Cloud Armor's rules language (CEL) a security policy's `match.expr` uses:
 * `evaluatePreconfiguredExpr('sqli-stable')`, `origin.region_code in ['CN']`,
 * `inIpRange(origin.ip, '10.0.0.0/8')`, `request.headers['x'].contains('y')`,
 * `request.path.matches('^/admin')`, combined with `!`, `&&`, `||` and parentheses.
 * An expression outside this subset is reported once by the caller and never matches.
 */
import { ipInRange } from './ip.js';
import { detects } from './waf.js';

export interface ExprRequest {
  ip: string;
  /** origin.region_code: locally from the X-Client-Geo header (GCP derives it from the client address). */
  regionCode: string;
  method: string;
  path: string;
  query: string;
  scheme: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** Decoded text the WAF rules look at (path, query, selected headers, form body). */
  inspect: string[];
}

type Value = string | number | boolean | Value[] | { [k: string]: Value } | undefined;

type Tok = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new Error('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('()[],.!<>'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw new Error(`unexpected '${c}'`);
  }
  return out;
}

/** A compiled expression: evaluate(request) -> matched. Throws at compile time on syntax it does not know. */
export type CompiledExpr = (r: ExprRequest) => boolean;

export function compileExpr(src: string): CompiledExpr {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v;
  const isId = (v: string) => peek()?.t === 'id' && peek()!.v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new Error(`expected '${v}'`);
    pos++;
  };

  type Node = (r: ExprRequest) => Value;

  const or = (): Node => {
    let left = and();
    while (isOp('||')) {
      pos++;
      const l = left;
      const r = and();
      left = (q) => truthy(l(q)) || truthy(r(q));
    }
    return left;
  };
  const and = (): Node => {
    let left = unary();
    while (isOp('&&')) {
      pos++;
      const l = left;
      const r = unary();
      left = (q) => truthy(l(q)) && truthy(r(q));
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('!')) {
      pos++;
      const inner = unary();
      return (q) => !truthy(inner(q));
    }
    return comparison();
  };
  const comparison = (): Node => {
    const left = postfix();
    const t = peek();
    if (t?.t === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(t.v)) {
      pos++;
      const right = postfix();
      const op = t.v;
      return (q) => {
        const a = left(q);
        const b = right(q);
        if (op === '==') return a === b;
        if (op === '!=') return a !== b;
        if (typeof a !== 'number' || typeof b !== 'number') return false;
        return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
      };
    }
    if (isId('in')) {
      pos++;
      const right = postfix();
      return (q) => {
        const a = left(q);
        const b = right(q);
        if (Array.isArray(b)) return b.includes(a);
        if (b && typeof b === 'object' && typeof a === 'string') return a.toLowerCase() in b;
        return false;
      };
    }
    return left;
  };
  const args = (): Node[] => {
    expect('(');
    const list: Node[] = [];
    while (!isOp(')')) {
      list.push(or());
      if (isOp(',')) pos++;
      else break;
    }
    expect(')');
    return list;
  };
  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      if (isOp('[')) {
        pos++;
        const idx = or();
        expect(']');
        const base = node;
        node = (q) => {
          const b = base(q);
          const k = idx(q);
          if (Array.isArray(b) && typeof k === 'number') return b[k];
          if (b && typeof b === 'object' && !Array.isArray(b) && typeof k === 'string') return b[k.toLowerCase()] ?? b[k];
          return undefined;
        };
      } else if (isOp('.')) {
        pos++;
        const name = peek();
        if (name?.t !== 'id') throw new Error('expected a name after .');
        pos++;
        const base = node;
        if (isOp('(')) {
          const a = args();
          node = (q) => method(base(q), name.v, a.map((f) => f(q)));
        } else {
          node = (q) => {
            const b = base(q);
            return b && typeof b === 'object' && !Array.isArray(b) ? b[name.v] : undefined;
          };
        }
      } else return node;
    }
  };
  const primary = (): Node => {
    const t = peek();
    if (!t) throw new Error('unexpected end of expression');
    pos++;
    if (t.t === 'str' || t.t === 'num') return () => t.v;
    if (t.t === 'op' && t.v === '(') {
      const inner = or();
      expect(')');
      return inner;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Node[] = [];
      while (!isOp(']')) {
        items.push(or());
        if (isOp(',')) pos++;
        else break;
      }
      expect(']');
      return (q) => items.map((f) => f(q));
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return () => t.v === 'true';
      if (isOp('(')) {
        const a = args();
        return builtin(t.v, a);
      }
      if (t.v === 'origin') return (q) => ({ ip: q.ip, region_code: q.regionCode });
      if (t.v === 'request') return (q) => ({ headers: q.headers, method: q.method, path: q.path, query: q.query, scheme: q.scheme });
      throw new Error(`unknown name ${t.v}`);
    }
    throw new Error(`unexpected '${t.v}'`);
  };

  function builtin(name: string, a: Node[]): Node {
    if (name === 'evaluatePreconfiguredExpr' || name === 'evaluatePreconfiguredWaf') {
      return (q) => {
        const set = a[0]?.(q);
        return typeof set === 'string' && detects(set, q.inspect);
      };
    }
    if (name === 'inIpRange') return (q) => ipInRange(String(a[0]?.(q) ?? ''), String(a[1]?.(q) ?? ''));
    throw new Error(`unknown function ${name}`);
  }

  const root = or();
  if (pos !== toks.length) throw new Error('unexpected text after the expression');
  return (q) => truthy(root(q));
}

function method(recv: Value, name: string, a: Value[]): Value {
  const s = typeof recv === 'string' ? recv : undefined;
  const arg = typeof a[0] === 'string' ? a[0] : '';
  switch (name) {
    case 'contains':
      return s !== undefined && s.includes(arg);
    case 'startsWith':
      return s !== undefined && s.startsWith(arg);
    case 'endsWith':
      return s !== undefined && s.endsWith(arg);
    case 'matches':
      try {
        return s !== undefined && new RegExp(arg).test(s);
      } catch {
        return false;
      }
    case 'lower':
      return s?.toLowerCase();
    case 'upper':
      return s?.toUpperCase();
    case 'size':
      return s !== undefined ? s.length : Array.isArray(recv) ? recv.length : undefined;
    default:
      return undefined;
  }
}

function truthy(v: Value): boolean {
  return v === true;
}
