/** RefDefaults as a server without an accounts file builds them: one `default` account per cloud. */
import { AccountDirectory, type AccountInfo } from '../../src/accounts/directory.js';
import type { ProjectLookup, RefDefaults } from '../../src/refs.js';

export function refDefaults(o: {
  alibabaRegion: string | null;
  huaweiRegion: string | null;
  huaweiProjectId: string | null;
  /** More accounts besides the two defaults. */
  others?: AccountInfo[];
  projects?: ProjectLookup;
}): RefDefaults {
  const accounts: AccountInfo[] = [
    { name: 'default', cloud: 'alibaba', defaultRegion: o.alibabaRegion, projects: {} },
    {
      name: 'default',
      cloud: 'huawei',
      defaultRegion: o.huaweiRegion,
      projects: o.huaweiRegion && o.huaweiProjectId ? { [o.huaweiRegion]: o.huaweiProjectId } : {},
    },
    ...(o.others ?? []),
  ];
  return {
    accounts: new AccountDirectory(accounts, { alibaba: 'default', huawei: 'default' }),
    ...(o.projects ? { projects: o.projects } : {}),
  };
}
