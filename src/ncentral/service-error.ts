/** A refusal the edge turns into its own error shape (HTTP status, CLI exit code). */
export class NcentralServiceError extends Error {
  override name = 'NcentralServiceError';
  constructor(
    readonly code: 'notConnected' | 'invalid' | 'notFound' | 'noEncryptionKey' | 'alreadyRunning' | 'notVerified',
    message: string,
  ) {
    super(message);
  }
}
