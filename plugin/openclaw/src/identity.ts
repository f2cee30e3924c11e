// Who the plugin is, shared by the entry and the generated manifest (which must not load the host's SDK).
export const PLUGIN_ID = 'mailwarden';
export const PLUGIN_NAME = 'mailwarden';
export const PLUGIN_DESCRIPTION =
  'Gmail and Google Calendar through the mailwarden sidecar: every call is a proposal the owner’s policy decides.';
/** OpenClaw catalogue category: managing email (calendar work goes with it). */
export const PLUGIN_CATEGORIES = ['inbox-collaboration'] as const;
