/**
 * Word- and character-level tokenizers with a vocabulary learnt from
 * training text; saved in the model file as JSON. Reserved ids: 0 <pad>,
 * 1 <unk>, 2 <bos>, 3 <eos>.
 */

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

  constructor(readonly kind: TokenizerKind, readonly vocab: string[], readonly lowercase: boolean) {
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
    if (kept.length === 0) throw new Error('tokenizer: the training text has no tokens (is it empty?)');
    return new Tokenizer(o.kind, [...RESERVED, ...kept], lowercase);
  }

  static fromJSON(j: TokenizerJSON): Tokenizer {
    return new Tokenizer(j.kind, j.vocab, j.lowercase);
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
    return ids.filter((i) => i > EOS).map((i) => this.vocab[i]).join(this.kind === 'char' ? '' : ' ');
  }
}
