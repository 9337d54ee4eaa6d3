import { psErrors } from './common.js';

/** A compiled subscription filter: true when a message with these attributes is delivered. */
export type MessageFilter = (attributes: Record<string, string>) => boolean;

type Tok = { t: '(' | ')' | ',' | '=' | '!=' | ':' | '.' | '-' | 'str' | 'word'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '!' && src[i + 1] === '=') {
      out.push({ t: '!=', v: '!=' });
      i += 2;
    } else if ('(),=:.-'.includes(c)) {
      out.push({ t: c as Tok['t'], v: c });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i++];
      }
      if (src[i] !== '"') throw bad(src, 'unterminated string');
      i++;
      out.push({ t: 'str', v: s });
    } else if (/[A-Za-z0-9_]/.test(c)) {
      let w = '';
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) w += src[i++];
      out.push({ t: 'word', v: w });
    } else {
      throw bad(src, `unexpected character '${c}'`);
    }
  }
  return out;
}

function bad(src: string, why: string) {
  return psErrors.invalid(`Invalid filter expression "${src}": ${why}.`, 'filter');
}

/**
 * Pub/Sub's attribute filter language: `attributes:k`, `attributes.k = "v"`, `!=`,
 * `hasPrefix(attributes.k, "p")`, `NOT`/`-`, `AND`/`OR` (not mixed without parentheses),
 * parentheses. Messages that do not match are acknowledged on the subscriber's behalf.
 */
export function compileFilter(src: string): MessageFilter {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const take = (t: Tok['t'], v?: string): Tok => {
    const k = toks[pos];
    if (!k || k.t !== t || (v !== undefined && k.v !== v)) throw bad(src, `expected ${v ?? t}${k ? ` at '${k.v}'` : ' at end'}`);
    pos++;
    return k;
  };
  const key = (): string => {
    take('word', 'attributes');
    take('.');
    const k = peek();
    if (!k || (k.t !== 'word' && k.t !== 'str')) throw bad(src, 'expected an attribute key');
    pos++;
    return k.v;
  };
  function term(): MessageFilter {
    const k = peek();
    if (!k) throw bad(src, 'unexpected end');
    if (k.t === '-' || (k.t === 'word' && k.v === 'NOT')) {
      pos++;
      const inner = term();
      return (a) => !inner(a);
    }
    if (k.t === '(') {
      pos++;
      const inner = expr();
      take(')');
      return inner;
    }
    if (k.t === 'word' && k.v === 'hasPrefix') {
      pos++;
      take('(');
      const name = key();
      take(',');
      const prefix = take('str').v;
      take(')');
      return (a) => a[name] !== undefined && a[name]!.startsWith(prefix);
    }
    if (k.t === 'word' && k.v === 'attributes' && toks[pos + 1]?.t === ':') {
      pos += 2;
      const n = peek();
      if (!n || (n.t !== 'word' && n.t !== 'str')) throw bad(src, 'expected an attribute key');
      pos++;
      return (a) => a[n.v] !== undefined;
    }
    const name = key();
    const op = peek();
    if (!op || (op.t !== '=' && op.t !== '!=')) throw bad(src, 'expected = or !=');
    pos++;
    const value = take('str').v;
    return op.t === '=' ? (a) => a[name] === value : (a) => a[name] !== value;
  }
  function expr(): MessageFilter {
    let left = term();
    let joiner: string | undefined;
    for (let k = peek(); k && k.t === 'word' && (k.v === 'AND' || k.v === 'OR'); k = peek()) {
      if (joiner && joiner !== k.v) throw bad(src, 'AND and OR cannot be mixed without parentheses');
      joiner = k.v;
      pos++;
      const right = term();
      const l = left;
      left = joiner === 'AND' ? (a) => l(a) && right(a) : (a) => l(a) || right(a);
    }
    return left;
  }
  const f = expr();
  if (pos !== toks.length) throw bad(src, `unexpected '${toks[pos]!.v}'`);
  return f;
}
