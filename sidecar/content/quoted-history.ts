// Cuts the quoted history (earlier mails copied under a reply) from a message body, in five languages.

/** Reply headers: "On … wrote:", "Am … schrieb …:", "Le … a écrit :", "El … escribió:", "Em … escreveu:". */
const REPLY_HEADER =
  /^[ \t]*(?:On\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\swrote:|Am\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sschrieb[^\n]{0,200}?:|Le\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sa\s[ée]crit\s?:|El\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sescribi[óo]\s?:|Em\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sescreveu\s?:)[ \t]*$/mu;

/** Outlook separators and header blocks. */
const OUTLOOK =
  /^[ \t]*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d['’]origine|Mensaje original|Mensagem original)\s*-{2,}|_{10,}|(?:From|Von|De):[^\n]*\n(?:Sent|Gesendet|Envoyé|Enviado|Date|Datum):[^\n]*)/imu;

export function stripQuotedHistory(body: string): { text: string; stripped: boolean } {
  let cut = body.length;
  for (const re of [REPLY_HEADER, OUTLOOK]) {
    const m = re.exec(body);
    if (m && m.index < cut) cut = m.index;
  }
  let text = body.slice(0, cut);
  // Lines quoted with ">" anywhere in what is left.
  const kept = text.split('\n').filter((line) => !/^[ \t]*>/.test(line));
  const removedQuoted = kept.length !== text.split('\n').length;
  text = kept.join('\n').replace(/\s+$/u, '');
  const stripped = cut < body.length || removedQuoted;
  return { text: stripped ? text : body, stripped };
}
