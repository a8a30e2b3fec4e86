/** Selections of every field of every Job member, for end-to-end assertions. */
export const ALL_JOB_FIELDS = /* GraphQL */ `
  __typename
  ... on CloudJob { id provider region projectId jobId state rawStatus terminal startedAt finishedAt providerRequestId }
  ... on DataWorksJob { jobType completed status error createTime }
  ... on NlbJob { status }
  ... on CfwJob { status beginTime endTime errorCode errorMsg }
  ... on DliJob {
    isSuccess message jobType jobMode queueName owner startTime durationMs status inputRowCount badRowCount
    inputSizeBytes resultCount databaseName tableName detail columns { name type nullable metadata } statement
    tags { key value } userConf resultFormat resultPath executionDetailsPath
  }
  ... on WorkspaceJob {
    apiVersion jobTypeCode jobType jobStatusCode status beginTime endTime expectedEndTime executeCode executeMessage subJobsTotal
    subJobs {
      jobId jobTypeCode jobType jobStatusCode status state beginTime endTime expectedEndTime executeCode executeMessage errorCode failReason
      entities { resourceId resourceName cloudServiceType resourceType resourceSpecCode specType specSize measure processedTime isMainResource mainResources extendParams oldResourceId oldCloudServiceType oldResourceType }
    }
  }
`;
