// Reading a message into clauses: quoted strings set aside (their words are not instructions), the
// text split at sentence ends, "then", "and" before a verb, and the filler around each clause dropped.

const VERB_STARTS = [
  "add",
  "create",
  "make",
  "put",
  "place",
  "insert",
  "render",
  "export",
  "save",
  "download",
  "delete",
  "remove",
  "erase",
  "move",
  "shift",
  "rotate",
  "turn",
  "spin",
  "tilt",
  "flip",
  "scale",
  "resize",
  "shrink",
  "grow",
  "enlarge",
  "rename",
  "call",
  "name",
  "color",
  "colour",
  "paint",
  "set",
  "change",
  "look",
  "view",
  "point",
  "aim",
  "clear",
  "reset",
  "duplicate",
  "copy",
  "clone",
  "give",
  "show",
  "take",
  "raise",
  "lower",
  "zoom",
  "describe",
  "list",
  "get rid",
  "please",
  "can you",
  "could you",
];
const SPLIT_PATTERN = new RegExp(
  String.raw`\s*[;!?]+\s*|\.(?=\s|$)\s*|,?\s+(?:and\s+)?then\s+|,?\s+after that,?\s+|,?\s+and also\s+|(?:,\s*(?:and\s+)?|\s+and\s+)(?=(?:${VERB_STARTS.join("|")})\b)`,
);

const LEADING_FILLER =
  /^(?:(?:and|also|then|now|next|finally|ok(?:ay)?|so|please|pls|can you|could you|would you|will you|i want you to|i'd like you to|i would like you to|let us|let's|lets|go ahead and|just)\b[\s,]*)+/;
const TRAILING_FILLER = /[\s,]*(?:please|thanks|thank you|for me|too|as well)\s*$/;

export interface Clause {
  /** Lowercased text with quoted strings replaced by ⟦n⟧. */
  text: string;
  /** The same text with the user's case, aligned with `text`. */
  original: string;
}

export function splitClauses(text: string): Clause[] {
  const clauses: Clause[] = [];
  const lower = text.toLowerCase();
  const aligned = lower.length === text.length ? text : lower;
  const pattern = new RegExp(SPLIT_PATTERN.source, "g");
  let start = 0;
  for (const match of lower.matchAll(pattern)) {
    if (match.index === undefined) continue;
    clauses.push({ text: lower.slice(start, match.index), original: aligned.slice(start, match.index) });
    start = match.index + match[0].length;
  }
  clauses.push({ text: lower.slice(start), original: aligned.slice(start) });
  const result: Clause[] = [];
  for (const clause of clauses) {
    let { text: lowerText, original } = clause;
    const lead = LEADING_FILLER.exec(lowerText);
    if (lead) {
      lowerText = lowerText.slice(lead[0].length);
      original = original.slice(lead[0].length);
    }
    const trail = TRAILING_FILLER.exec(lowerText);
    if (trail && trail.index > 0) {
      lowerText = lowerText.slice(0, trail.index);
      original = original.slice(0, trail.index);
    }
    lowerText = lowerText.replace(/[,.:\s]+$/, "");
    original = original.slice(0, lowerText.length);
    const leadingSpace = lowerText.length - lowerText.trimStart().length;
    lowerText = lowerText.slice(leadingSpace);
    original = original.slice(leadingSpace);
    if (lowerText.length > 0) result.push({ text: lowerText, original });
  }
  return result;
}

/** Replaces quoted strings with ⟦n⟧ so their words are not read as instructions. */
export function extractQuotes(text: string): { text: string; quotes: string[] } {
  const quotes: string[] = [];
  const replaced = text.replace(/"([^"]*)"|“([^”]*)”|(?<![a-z])'([^']+)'(?![a-z])/gi, (_match, a, b, c) => {
    quotes.push(a ?? b ?? c ?? "");
    return `⟦${quotes.length - 1}⟧`;
  });
  return { text: replaced, quotes };
}

export function restoreQuotes(text: string, quotes: readonly string[]): string {
  return text.replace(/⟦(\d+)⟧/g, (_match, index) => quotes[Number(index)] ?? "");
}
