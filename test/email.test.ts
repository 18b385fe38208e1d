// Emails as a reader sees them: the spam dataset's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readableEmail } from '../src/index.js';

test('readableEmail: reader headers kept, transport headers dropped, quoted-printable and base64 decoded, HTML as text, alternatives once, attachments named', () => {
  const raw = [
    'Received: from relay.example (1.2.3.4)',
    'Message-Id: <x@y>',
    'Subject: Cheap =?',
    '  folded subject',
    'From: a@b.example',
    'Content-Type: multipart/mixed; boundary="OUTER"',
    '',
    'This is a multi-part message in MIME format.',
    '--OUTER',
    'Content-Type: multipart/alternative; boundary=INNER',
    '',
    '--INNER',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'plain version, soft=',
    'break and caf=E9',
    '--INNER',
    'Content-Type: text/html; charset="utf-8"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<html><body><p>Buy <b>now</b> &amp; save</p></body></html>').toString('base64'),
    '--INNER--',
    '--OUTER',
    'Content-Type: image/gif; name="x.gif"',
    'Content-Transfer-Encoding: base64',
    '',
    'R0lGODlhAQABAAAAACw=',
    '--OUTER--',
    'epilogue',
  ].join('\r\n');
  const text = readableEmail(raw);
  assert.match(text, /^Subject: Cheap =\? folded subject\nFrom: a@b\.example\nContent-Type: multipart\/mixed/);
  assert.doesNotMatch(text, /Received|Message-Id|preamble|epilogue|multi-part message/);
  assert.match(text, /\[html\] Buy NOW & save/i, text);
  assert.doesNotMatch(text, /plain version/, 'of two alternatives the reader sees the last');
  assert.match(text, /\[image\/gif\]/);
  assert.doesNotMatch(text, /<b>|R0lGOD/);
  // A single-part quoted-printable message.
  const qp = readableEmail('Subject: hi\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak caf=E9 a=3Db');
  assert.equal(qp, 'Subject: hi\nContent-Type: text/plain; charset=iso-8859-1\nsoftbreak café a=b');
  // No headers at all: the text itself.
  assert.equal(readableEmail('just a body'), '\njust a body');
});
