/**
 * Word- and character-level tokenizers with a vocabulary learnt from
 * training text; saved in the model file as JSON. Reserved ids: 0 <pad>,
 * 1 <unk>, 2 <bos>, 3 <eos>.
 */

import { GruError } from '../errors.js';

export type TokenizerKind = 'word' | 'char';

export interface TokenizerJSON {
  kind: TokenizerKind;
  lowercase: boolean;
  vocab: string[];
}

export const PAD = 0;
export const UNK = 1;
export const BOS = 2;
export const EOS = 3;
const RESERVED = ['<pad>', '<unk>', '<bos>', '<eos>'];

export class Tokenizer {
  private readonly index: Map<string, number>;

  constructor(
    readonly kind: TokenizerKind,
    readonly vocab: string[],
    readonly lowercase: boolean,
  ) {
    this.index = new Map(vocab.map((t, i) => [t, i]));
  }

  /** Learns a vocabulary: tokens seen at least minCount times, the most frequent first, at most maxSize in all. */
  static fit(texts: Iterable<string>, o: { kind: TokenizerKind; lowercase?: boolean; maxSize?: number; minCount?: number }): Tokenizer {
    const lowercase = o.lowercase ?? o.kind === 'word';
    const counts = new Map<string, number>();
    const probe = new Tokenizer(o.kind, [...RESERVED], lowercase);
    for (const t of texts) for (const tok of probe.split(t)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    const kept = [...counts]
      .filter(([, c]) => c >= (o.minCount ?? 1))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, (o.maxSize ?? Infinity) - RESERVED.length)
      .map(([t]) => t);
    if (kept.length === 0) throw new GruError('INVALID_DATA', 'tokenizer: the training text has no tokens (is it empty?)');
    return new Tokenizer(o.kind, [...RESERVED, ...kept], lowercase);
  }

  /**
   * The tokenizer `toJSON` wrote. Checks the shape first (a kind, a boolean,
   * an array of strings starting with the reserved tokens), so JSON from
   * elsewhere fails with a {@link GruError} ('INVALID_ARGUMENT'), not a
   * TypeError later; model files are checked more fully, naming the file,
   * before they get here (tasks/model-schema.ts).
   */
  static fromJSON(j: TokenizerJSON): Tokenizer {
    const bad = (what: string) => new GruError('INVALID_ARGUMENT', `Tokenizer.fromJSON: ${what}`);
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad(`expected an object, got ${j === null ? 'null' : Array.isArray(j) ? 'an array' : typeof j}`);
    if (j.kind !== 'word' && j.kind !== 'char') throw bad(`kind: expected 'word' or 'char', got ${describe(j.kind)}`);
    if (typeof j.lowercase !== 'boolean') throw bad(`lowercase: expected true or false, got ${describe(j.lowercase)}`);
    if (!Array.isArray(j.vocab)) throw bad(`vocab: expected an array of strings, got ${describe(j.vocab)}`);
    const i = j.vocab.findIndex((t) => typeof t !== 'string');
    if (i >= 0) throw bad(`vocab[${i}]: expected a string, got ${describe(j.vocab[i])}`);
    if (RESERVED.some((r, k) => j.vocab[k] !== r))
      throw bad(
        `vocab: expected the reserved tokens ${RESERVED.join(', ')} first, got ${
          j.vocab
            .slice(0, RESERVED.length)
            .map((t) => JSON.stringify(t))
            .join(', ') || 'an empty vocabulary'
        }`,
      );
    return new Tokenizer(j.kind, [...j.vocab], j.lowercase);
  }

  toJSON(): TokenizerJSON {
    return { kind: this.kind, lowercase: this.lowercase, vocab: this.vocab };
  }

  get size(): number {
    return this.vocab.length;
  }

  /** The tokens of a text: words (runs of letters/digits, or single symbols) or characters. */
  split(text: string): string[] {
    const s = this.lowercase ? text.toLowerCase() : text;
    if (this.kind === 'char') return [...s];
    return s.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
  }

  /** Token ids (unknown tokens → <unk>), at most maxLen of them. */
  encode(text: string, maxLen = Infinity): number[] {
    const out: number[] = [];
    for (const t of this.split(text)) {
      if (out.length >= maxLen) break;
      out.push(this.index.get(t) ?? UNK);
    }
    return out;
  }

  /** Id of a token, or undefined when it is not in the vocabulary. */
  id(token: string): number | undefined {
    return this.index.get(token);
  }

  decode(ids: readonly number[]): string {
    return ids
      .filter((i) => i > EOS)
      .map((i) => this.vocab[i])
      .join(this.kind === 'char' ? '' : ' ');
  }
}

/** A short description of a value from JSON, for error messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}… (a string)` : `${JSON.stringify(v)} (a string)`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
