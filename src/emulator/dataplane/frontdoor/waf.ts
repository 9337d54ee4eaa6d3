/**
 * A local stand-in for Cloud Armor's preconfigured WAF rule sets (the ModSecurity CRS based
 * `sqli-*` and `xss-*` expressions): signatures for the classic injection shapes, matched
 * against the decoded request text. Like the real sets it errs towards blocking; unlike
 * them it knows only these two families (other sets never match locally).
 */
const SQLI: RegExp[] = [
  /\bunion\b[\s\S]{0,100}?\bselect\b/,
  /\bselect\b[\s\S]{1,200}?\bfrom\b/,
  /['"`]\s*(or|and|\|\||&&)\s+['"`]?[\w\s]*['"`]?\s*(=|<|>|like\b|is\b)/,
  /\b(or|and)\s+['"`]?(\d+)['"`]?\s*=\s*['"`]?\2\b/,
  /['"`]\s*;?\s*(--|#|\/\*)/,
  /;\s*(drop|delete|insert|update|alter|create|truncate|exec(ute)?|shutdown)\b/,
  /\b(drop|truncate|alter)\s+table\b/,
  /\b(insert\s+into|delete\s+from)\b/,
  /\b(sleep|benchmark|pg_sleep)\s*\(|\bwaitfor\s+delay\b/,
  /\b(information_schema|pg_catalog|sysobjects|xp_cmdshell)\b/,
];

const XSS: RegExp[] = [
  /<\s*script\b/,
  /<\s*\/\s*script\s*>/,
  /\bjavascript\s*:/,
  /\bvbscript\s*:/,
  /<[^>]*\bon[a-z]{3,20}\s*=/,
  /<\s*(iframe|object|embed|svg|img|body|math|base|form|meta)\b[^>]*>?/,
  /\bdocument\s*\.\s*(cookie|location|write)\b/,
  /\b(alert|prompt|confirm)\s*\(/,
  /\bsrcdoc\s*=/,
];

/** Decode as a WAF normalises: URL-decoding (twice, for double encoding), '+' as space, lower case. */
export function normalise(text: string): string {
  let s = text.replace(/\+/g, ' ');
  for (let i = 0; i < 2; i++) {
    try {
      const d = decodeURIComponent(s);
      if (d === s) break;
      s = d;
    } catch {
      break;
    }
  }
  return s.toLowerCase();
}

/** True when any of the texts trips the named rule set (e.g. 'sqli-stable', 'xss-v33-stable'). */
export function detects(ruleSet: string, texts: string[]): boolean {
  const family = ruleSet.split('-')[0];
  const sigs = family === 'sqli' ? SQLI : family === 'xss' ? XSS : undefined;
  if (!sigs) return false;
  return texts.some((t) => {
    const n = normalise(t);
    return sigs.some((re) => re.test(n));
  });
}
