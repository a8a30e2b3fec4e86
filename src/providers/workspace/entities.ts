/**
 * Workspace `JobResourceInfo` (the resources a sub-job processes) → WorkspaceJobEntity, shared by
 * the v1 and v2 mappers. Field list: docs/providers.md#v1-showjob / go-v3
 * `workspaceapp/v1/model/model_job_resource_info.go`.
 */
import type { WorkspaceSubJob } from '../types.js';
import { asArray, asInteger, asNumber, asObject, asString } from '../wire.js';

export type WorkspaceJobEntity = WorkspaceSubJob['entities'][number];

/** `is_main_resource` is 1/0 on the wire; true/false and "1"/"0" are accepted too. */
function flag(value: unknown): boolean | null {
  if (value === 1 || value === '1' || value === true) return true;
  if (value === 0 || value === '0' || value === false) return false;
  return null;
}

/** A string field that a service might send as another scalar or an object. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : null;
}

/** One JobResourceInfo object; null when the value is not an object. */
export function mapWorkspaceEntity(value: unknown): WorkspaceJobEntity | null {
  const e = asObject(value);
  if (!e) return null;
  return {
    resourceId: asString(e.resource_id),
    resourceName: asString(e.resource_name),
    cloudServiceType: asString(e.cloud_service_type),
    resourceType: asString(e.resource_type),
    resourceSpecCode: asString(e.resource_spec_code),
    specType: asObject(e.spec_type),
    specSize: asNumber(e.spec_size),
    measure: asInteger(e.measure),
    processedTime: text(e.processed_time),
    isMainResource: flag(e.is_main_resource),
    mainResources: e.main_resources ?? null,
    extendParams: text(e.extend_params),
    oldResourceId: asString(e.old_resource_id),
    oldCloudServiceType: asString(e.old_cloud_service_type),
    oldResourceType: asString(e.old_resource_type),
  };
}

/** Entities from an array, a single object, or nothing; entries that are not objects are dropped. */
export function mapWorkspaceEntities(...candidates: unknown[]): WorkspaceJobEntity[] {
  const out: WorkspaceJobEntity[] = [];
  for (const candidate of candidates) {
    const list = Array.isArray(candidate) ? candidate : asObject(candidate) ? [candidate] : (asArray(candidate) ?? []);
    for (const item of list) {
      const entity = mapWorkspaceEntity(item);
      if (entity) out.push(entity);
    }
  }
  return out;
}
