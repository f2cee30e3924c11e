// Security-mail kinds and the EN/DE/FR/ES/PT vocabulary of one-time codes: keywords and harmless contexts.

export type SecurityKind =
  | 'one_time_code'
  | 'two_factor'
  | 'sign_in'
  | 'password_reset'
  | 'magic_link'
  | 'verification'
  | 'passkey';

export const SECURITY_KINDS: readonly SecurityKind[] = [
  'one_time_code',
  'two_factor',
  'sign_in',
  'password_reset',
  'magic_link',
  'verification',
  'passkey',
];

const src = (parts: readonly string[]): string => parts.join('|');

/**
 * Keywords that name a one-time secret outright. A code-like token near one of these is a security code,
 * whatever the rest of the message says.
 */
export const STRONG_CODE_KEYWORD = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${src([
    // English
    'verification\\s+(?:code|number|pin)',
    'security\\s+code',
    'log-?\\s?in\\s+code',
    'sign-?\\s?in\\s+code',
    'one[- ]time\\s+(?:pass)?(?:code|password|pin)',
    'single[- ]use\\s+code',
    'temporary\\s+(?:code|password)',
    'authentication\\s+code',
    'auth\\s+code',
    '(?:2fa|mfa|two[- ]factor|2-step|two-step)\\s+(?:authentication\\s+)?code',
    '(?:backup|recovery)\\s+codes?',
    'otp',
    // German
    '(?:bestätigungs|sicherheits|anmelde|einmal|verifizierungs|verifikations|authentifizierungs|login-|freigabe)code',
    'einmal-?passwort',
    'm?tan',
    // French
    "code\\s+(?:de\\s+)?(?:vérification|sécurité|connexion|validation|confirmation|d[’']authentification|à\\s+usage\\s+unique|temporaire)",
    'mot\\s+de\\s+passe\\s+(?:à\\s+usage\\s+unique|temporaire)',
    // Spanish / Portuguese
    'c[óo]digo\\s+(?:de\\s+)?(?:verificaci[óo]n|verificação|seguridad|segurança|inicio\\s+de\\s+sesi[óo]n|login|autenticaci[óo]n|autenticação|validaci[óo]n|validação|confirmaci[óo]n|confirmação|un\\s+solo\\s+uso|uso\\s+[úu]nico)',
    'c[óo]digo\\s+(?:temporal|temporário)',
    'contraseña\\s+(?:de\\s+un\\s+solo\\s+uso|temporal)',
    'senha\\s+(?:de\\s+uso\\s+[úu]nico|temporária)',
  ])})(?![\\p{L}\\p{N}])`,
  'giu',
);

/** Words that turn "code" into something harmless when they sit right before or after it. */
export const CODE_DISQUALIFIER_BEFORE =
  /(?:promo(?:tional)?|discount|coupon|voucher|gift|referral|zip|postal|post|area|country|dress|source|error|status|qr|bar|tracking|booking|reservation|tax|product|item|sort|swift|bank|html|exit|door|gutschein|rabatt|aktions|fehler|post(?:leit)?|meeting|besprechungs|promocional|cup[oó]n)[\s-]*$/iu;
export const CODE_DISQUALIFIER_AFTER =
  /^[\s-]*(?:promo|postal|de\s+r[ée]duction|de\s+descuento|de\s+desconto|promocional|de\s+suivi|de\s+seguimiento|de\s+rastreio|de\s+rastreamento|d['’]erreur|de\s+error|de\s+erro|de\s+barras|-?barres|del?\s+pedido|do\s+pedido|de\s+commande|do\s+cliente|del\s+cliente|client|review|in\b|de\s+la\s+pr|du\s+pr|do\s+pr|del\s+pr|der\b|des\b|the\s+code)/iu;

/**
 * Context that marks a number as an order, invoice, meeting or booking id. Only consulted for bare "code"
 * keywords: a named one-time code is never excused by it.
 */
export const BENIGN_CODE_CONTEXT = new RegExp(
  src([
    'order',
    'invoice',
    'tracking',
    'shipment',
    'parcel',
    'booking',
    'reservation',
    'flight',
    'ticket',
    'meeting',
    'webinar',
    'zoom',
    'teams',
    'dial[- ]?in',
    'conference',
    'customer',
    'reference',
    'bestellung',
    'rechnung',
    'sendung',
    'buchung',
    'kundennummer',
    'besprechung',
    'commande',
    'facture',
    'colis',
    'réservation',
    'réunion',
    'pedido',
    'factura',
    'fatura',
    'reserva',
    'reuni[óo]n',
    'reunião',
    'boleto',
    'rastreio',
    'seguimiento',
    // Shop marketing: codes there are vouchers.
    'checkout',
    '\\d+\\s?%\\s+off',
    'black\\s+friday',
    '\\bsale\\b',
    'discount',
    'coupon',
    'angebot',
    'rabatt',
    'réduction',
    'oferta',
    'descuento',
    'desconto',
    'cupom',
    'cup[óo]n',
  ]),
  'iu',
);
