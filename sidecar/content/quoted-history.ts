// Cuts the quoted history (earlier mails copied under a reply) from a message body; forwarded mail is kept.

/**
 * Reply headers: "On … wrote:", "Am … schrieb …:", "Le … a écrit :", "El … escribió:", "Em … escreveu:",
 * "Il … ha scritto:", "Op … schreef …:", "W dniu … napisał(a):", "在 … 写道：", and Japanese "… <addr>:"
 * lines that start with a date. The header may wrap over two lines.
 */
const REPLY_HEADER =
  /^[ \t]*(?:On\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\swrote:|Am\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sschrieb[^\n]{0,200}?:|Le\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sa\s[ée]crit\s?:|El\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sescribi[óo]\s?:|Em\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sescreveu\s?:|Il\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sha\sscritto\s?:|Op\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\sschreef[^\n]{0,200}?:|W\sdniu\s[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\snapisał(?:\(a\)|a)?\s?:|在\s?[^\n]{0,300}?写道\s?[:：]|\d{4}年\d{1,2}月\d{1,2}日[^\n]{0,200}?[:：])[ \t]*$/mu;

/** Outlook separators and header blocks (From:/Sent:), in the ten languages. */
const OUTLOOK =
  /^[ \t]*(?:-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d['’]origine|Mensaje original|Mensagem original|Messaggio originale|Oorspronkelijk bericht|Oryginalna wiadomość)\s*-{2,}|_{10,}|(?:From|Von|De|Da|Van|Od|发件人|差出人):[^\n]*\n[ \t]*(?:Sent|Gesendet|Envoyé|Enviado|Inviato|Verzonden|Wysłano|Date|Datum|Data|Fecha|发送时间|日期|送信日時):)/imu;

/**
 * The line that opens a forwarded mail (Gmail's "---------- Forwarded message ---------" and its
 * translations). A header block right after it belongs to the forward and is kept.
 */
const FORWARD_MARKER =
  /^[ \t]*-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Mensagem encaminhada|Forwarded Message|Messaggio inoltrato|Doorgestuurd bericht|Przekazana wiadomość|転送されたメッセージ|转发的邮件|Begin forwarded message)\s*-{2,}[ \t]*$|^[ \t]*Begin forwarded message:[ \t]*$/imu;

/** Where the quoted history starts, or -1. A header block that follows a forward marker is not history. */
function historyStart(body: string): number {
  const fwd = FORWARD_MARKER.exec(body);
  let cut = -1;
  for (const re of [REPLY_HEADER, OUTLOOK]) {
    const m = re.exec(body);
    if (m === null) continue;
    // The From/Date block of a forward, directly under its marker (at most two lines down), stays.
    if (fwd !== null && m.index >= fwd.index) {
      const between = body.slice(fwd.index + fwd[0].length, m.index);
      if (between.split('\n').length <= 3) continue;
    }
    if (cut < 0 || m.index < cut) cut = m.index;
  }
  return cut;
}

export function stripQuotedHistory(body: string): { text: string; stripped: boolean } {
  const at = historyStart(body);
  const cut = at < 0 ? body.length : at;
  let text = body.slice(0, cut);
  // Lines quoted with ">" anywhere in what is left.
  const kept = text.split('\n').filter((line) => !/^[ \t]*>/.test(line));
  const removedQuoted = kept.length !== text.split('\n').length;
  text = kept.join('\n').replace(/\s+$/u, '');
  const stripped = cut < body.length || removedQuoted;
  return { text: stripped ? text : body, stripped };
}
