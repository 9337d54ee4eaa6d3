import { describe, expect, it } from 'vitest';
import { errorText, UserError } from '../../../src/cli/base-command.js';

describe('what a failed command prints', () => {
  it('an API error by its status and message, not its JSON body', () => {
    const body = { error: { code: 403, message: "Permission 'run.services.get' denied on resource", status: 'PERMISSION_DENIED' } };
    expect(errorText(new Error(JSON.stringify(body)))).toBe("403: Permission 'run.services.get' denied on resource");
    const grpc = Object.assign(new Error('7 PERMISSION_DENIED: caller lacks permission'), { code: 7, details: 'caller lacks permission' });
    expect(errorText(grpc)).toMatch(/^PERMISSION_DENIED: .*caller lacks permission$/);
  });
  it('a user error or any other error as written, every line of it', () => {
    expect(errorText(new UserError('1 problem in ruvector.yaml:\nruvector.yaml:3:1  project  required'))).toBe('1 problem in ruvector.yaml:\nruvector.yaml:3:1  project  required');
    expect(errorText(new RangeError('--waves ";;" names no region'))).toBe('--waves ";;" names no region');
  });
});
