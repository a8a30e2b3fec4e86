import { describe, expect, it } from 'vitest';
import { mapDataWorksJob } from '../../src/providers/dataworks/map.js';
import { stateFrom } from '../../src/providers/job-fields.js';

describe('stateFrom', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'maps the inherited property name %j to UNKNOWN, not to a prototype member',
    (status) => {
      expect(stateFrom({ Running: 'RUNNING' }, status)).toBe('UNKNOWN');
    },
  );

  it('maps a DataWorks job whose Status is "constructor" to UNKNOWN with the raw status kept', () => {
    const job = mapDataWorksJob(
      { provider: 'DATAWORKS', account: null, region: 'cn-hangzhou', projectId: null, jobId: 'j' },
      JSON.stringify({ RequestId: 'r', JobStatus: { JobId: 'j', Status: 'constructor', Completed: 'False' } }),
      null,
    );
    expect(job).toMatchObject({ state: 'UNKNOWN', rawStatus: 'constructor', terminal: false });
  });
});
