import { EmuError } from '../../core/types.js';

/**
 * Storage JSON API failures, with the reasons and messages GCS puts in its legacy
 * `{error:{code, message, errors:[{domain, reason, message}]}}` body.
 */
export const gcsErrors = {
  bucketNotFound: () => new EmuError(404, 'NOT_FOUND', 'The specified bucket does not exist.', 'notFound'),
  objectNotFound: (bucket: string, name: string) =>
    new EmuError(404, 'NOT_FOUND', `No such object: ${bucket}/${name}`, 'notFound'),
  bucketExists: () =>
    new EmuError(409, 'ALREADY_EXISTS', 'Your previous request to create the named bucket succeeded and you already own it.', 'conflict'),
  bucketNotEmpty: () => new EmuError(409, 'FAILED_PRECONDITION', 'The bucket you tried to delete is not empty.', 'conflict'),
  preconditionFailed: () =>
    new EmuError(412, 'FAILED_PRECONDITION', 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet'),
  notModified: () => new EmuError(304, 'FAILED_PRECONDITION', 'Not Modified', 'notModified'),
  invalid: (message: string) => new EmuError(400, 'INVALID_ARGUMENT', message, 'invalid'),
  required: (message: string) => new EmuError(400, 'INVALID_ARGUMENT', message, 'required'),
  rangeNotSatisfiable: () =>
    new EmuError(416, 'OUT_OF_RANGE', 'The requested range cannot be satisfied.', 'requestedRangeNotSatisfiable'),
  uploadNotFound: () => new EmuError(404, 'NOT_FOUND', 'No such upload session.', 'notFound'),
};
