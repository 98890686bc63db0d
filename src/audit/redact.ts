/**
 * The writer's last guard against a secret reaching the audit trail (issue 19: "never, not even hashed"): any text
 * in an entry shaped like one of this service's secrets — a client secret (`ppcs_`), a secret token (`ppst_`) or an
 * admin token (`ppadm_`) — is replaced before hashing and storing. It catches the operator who pastes a secret
 * where an id belongs, whose error message would otherwise carry it into the entry. Callers still never pass
 * secrets; this is for what they cannot see.
 */
const SECRET_SHAPED = /\b(ppcs|ppst|ppadm)_[A-Za-z0-9_-]{16,}/g;

export const REDACTED = '[redacted]';

export function redactSecrets(text: string): string {
  return text.replace(SECRET_SHAPED, (_match, prefix: string) => `${prefix}_${REDACTED}`);
}
