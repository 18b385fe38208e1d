/**
 * An email as a reader sees it: the headers a person reads (Subject, From,
 * To, Reply-To, Content-Type, X-Mailer), then each MIME part decoded
 * (quoted-printable, base64) — text as text, HTML as its text after an
 * "[html]" marker, attachments as "[type/subtype]" — instead of the raw
 * transfer encoding, whose markup and soft line breaks would spend a
 * classifier's token budget on "=3D" and "<font".
 */
import { decode as decodeQuotedPrintable } from 'libqp';
import { convert as htmlToText } from 'html-to-text';

const READ_HEADERS = /^(subject|from|to|reply-to|content-type|x-mailer):/i;

interface Part {
  headers: Map<string, string>;
  headerLines: string[];
  body: string;
}

function splitPart(raw: string): Part {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : '';
  const body = m ? raw.slice(m.index + m[0].length) : raw;
  const headerLines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const i = line.indexOf(':');
    if (i > 0 && !headers.has(line.slice(0, i).trim().toLowerCase())) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { headers, headerLines, body };
}

/** The readable text of a part (depth bounds nested multiparts). */
function partText(p: Part, depth: number): string {
  const contentType = p.headers.get('content-type') ?? 'text/plain';
  const type = contentType.split(';')[0].trim().toLowerCase() || 'text/plain';
  const boundary = /boundary\s*=\s*"?([^";]+)"?/i.exec(contentType)?.[1];
  if (type.startsWith('multipart/') && boundary && depth < 8) {
    const pieces = p.body
      .split(`--${boundary}`)
      .slice(1) // before the first boundary: the preamble
      .filter((piece) => !piece.startsWith('--')); // the closing boundary and the epilogue
    // Alternatives are one text in several forms: a reader sees the last (the richest).
    const shown = type === 'multipart/alternative' ? pieces.slice(-1) : pieces;
    return shown.map((piece) => partText(splitPart(piece.replace(/^[ \t]*\r?\n/, '')), depth + 1)).join('\n');
  }
  if (!type.startsWith('text/')) return `[${type}]`;
  const charset = /charset\s*=\s*"?utf-?8/i.test(contentType) ? 'utf8' : 'latin1';
  const encoding = (p.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  let text = p.body;
  if (encoding.includes('quoted-printable')) text = decodeQuotedPrintable(text).toString(charset);
  else if (encoding.includes('base64')) text = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString(charset);
  return type === 'text/html' ? `[html] ${htmlToText(text, { wordwrap: false })}` : text;
}

/** The readable headers and the decoded text of a raw RFC 822 message. */
export function readableEmail(raw: string): string {
  const message = splitPart(raw);
  return `${message.headerLines.filter((l) => READ_HEADERS.test(l)).join('\n')}\n${partText(message, 0)}`;
}
