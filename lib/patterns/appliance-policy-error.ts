/**
 * Thrown when an AppliancePolicy is invalid; the message names the field and the value.
 * Not part of the jsii API (jsii cannot export a subclass of `Error`): other languages see the
 * message of the error.
 */
export class AppliancePolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppliancePolicyError';
  }
}
