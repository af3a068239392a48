// Argo's own types (argoproj.io/v1alpha1), after the field reference at
// https://argo-workflows.readthedocs.io/en/latest/fields/. Format: schema.h.
#include "spec/schema.h"

namespace skiff::spec::schema {

const char kArgoSchema[] = R"(
Workflow: apiVersion kind metadata=ObjectMeta spec=WorkflowSpec status=any
WorkflowTemplate: apiVersion kind metadata=ObjectMeta spec=WorkflowSpec
ClusterWorkflowTemplate: apiVersion kind metadata=ObjectMeta spec=WorkflowSpec
CronWorkflow: apiVersion kind metadata=ObjectMeta spec=CronWorkflowSpec status=any
WorkflowEventBinding: apiVersion kind metadata=ObjectMeta spec=WorkflowEventBindingSpec

WorkflowSpec: templates=[Template] entrypoint arguments=Arguments serviceAccountName
  automountServiceAccountToken=bool executor=ExecutorConfig volumes=[Volume]
  volumeClaimTemplates=[PersistentVolumeClaim] parallelism=int
  artifactRepositoryRef=ArtifactRepositoryRef suspend=bool nodeSelector={string}
  affinity=any tolerations=[Toleration] imagePullSecrets=[LocalObjectReference]
  hostNetwork=bool dnsPolicy dnsConfig=PodDNSConfig onExit ttlStrategy=TTLStrategy
  activeDeadlineSeconds=int priority=int schedulerName podGC=PodGC
  podPriorityClassName podPriority=int hostAliases=[HostAlias]
  securityContext=PodSecurityContext podSpecPatch podDisruptionBudget=any
  metrics=Metrics shutdown workflowTemplateRef=WorkflowTemplateRef
  synchronization=Synchronization volumeClaimGC=VolumeClaimGC
  retryStrategy=RetryStrategy podMetadata=Metadata templateDefaults=Template
  archiveLogs=bool hooks={LifecycleHook} workflowMetadata=WorkflowMetadata
  artifactGC=WorkflowLevelArtifactGC podResources=ResourceRequirements
  resourceClaims=[PodResourceClaim] executorPlugins=[any]
PodResourceClaim: name resourceClaimName resourceClaimTemplateName

CronWorkflowSpec: workflowSpec=WorkflowSpec schedule schedules=[string]
  concurrencyPolicy suspend=bool startingDeadlineSeconds=int
  successfulJobsHistoryLimit=int failedJobsHistoryLimit=int timezone
  workflowMetadata=ObjectMeta stopStrategy=StopStrategy when
StopStrategy: expression condition

WorkflowEventBindingSpec: event=EventSelector submit=EventSubmit
EventSelector: selector
EventSubmit: workflowTemplateRef=WorkflowTemplateRef metadata=ObjectMeta arguments=Arguments

ExecutorConfig: serviceAccountName
TTLStrategy: secondsAfterCompletion=int secondsAfterSuccess=int secondsAfterFailure=int
PodGC: strategy labelSelector=any deleteDelayDuration
VolumeClaimGC: strategy
WorkflowMetadata: labels={string} annotations={string} labelsFrom={LabelValueFrom}
LabelValueFrom: expression
Metadata: annotations={string} labels={string}
WorkflowLevelArtifactGC: strategy podMetadata=Metadata serviceAccountName
  forceFinalizerRemoval=bool podSpecPatch
ArtifactGC: strategy podMetadata=Metadata serviceAccountName
ArtifactRepositoryRef: configMap key
WorkflowTemplateRef: name clusterScope=bool
TemplateRef: name template clusterScope=bool runtimeResolution=bool

Synchronization: semaphore=SemaphoreRef mutex=Mutex semaphores=[SemaphoreRef] mutexes=[Mutex]
SemaphoreRef: configMapKeyRef=ConfigMapKeySelector namespace database=SyncDatabaseRef
Mutex: name namespace database=bool
SyncDatabaseRef: key

LifecycleHook: template arguments=Arguments templateRef=TemplateRef expression
Arguments: parameters=[Parameter] artifacts=[Artifact]
Inputs: parameters=[Parameter] artifacts=[Artifact]
Outputs: parameters=[Parameter] artifacts=[Artifact] result exitCode
Parameter: name default=anystr value=anystr valueFrom=ValueFrom enum=[anystr]
  description=anystr globalName
ValueFrom: path jsonPath jqFilter event parameter supplied=any default=anystr
  expression configMapKeyRef=ConfigMapKeySelector

ArtifactLocation: archiveLogs=bool s3=S3Artifact git=GitArtifact http=HTTPArtifact
  artifactory=ArtifactoryArtifact hdfs=HDFSArtifact raw=RawArtifact oss=OSSArtifact
  gcs=GCSArtifact azure=AzureArtifact plugin=any
Artifact(ArtifactLocation): name path mode=int from archive=ArchiveStrategy
  optional=bool subPath recurseMode=bool fromExpression artifactGC=ArtifactGC
  deleted=bool globalName
ArchiveStrategy: tar=TarStrategy none=any zip=any
TarStrategy: compressionLevel=int
S3Artifact: endpoint bucket region insecure=bool accessKeySecret=SecretKeySelector
  secretKeySecret=SecretKeySelector sessionTokenSecret=SecretKeySelector roleARN
  useSDKCreds=bool createBucketIfNotPresent=any encryptionOptions=any
  caSecret=SecretKeySelector key
GitArtifact: repo revision depth=int fetch=[string] usernameSecret=SecretKeySelector
  passwordSecret=SecretKeySelector sshPrivateKeySecret=SecretKeySelector
  insecureIgnoreHostKey=bool disableSubmodules=bool singleBranch=bool branch
  insecureSkipTLS=bool
HTTPArtifact: url headers=[Header] auth=any
Header: name value
ArtifactoryArtifact: url usernameSecret=SecretKeySelector passwordSecret=SecretKeySelector
HDFSArtifact: addresses=[string] hdfsUser krbCCacheSecret=SecretKeySelector
  krbKeytabSecret=SecretKeySelector krbUsername krbRealm
  krbConfigConfigMap=ConfigMapKeySelector krbServicePrincipalName path force=bool
  dataTransferProtection
RawArtifact: data
OSSArtifact: endpoint bucket accessKeySecret=SecretKeySelector
  secretKeySecret=SecretKeySelector createBucketIfNotPresent=bool securityToken
  lifecycleRule=any key useSDKCreds=bool
GCSArtifact: bucket serviceAccountKeySecret=SecretKeySelector key
AzureArtifact: endpoint container accountKeySecret=SecretKeySelector useSDKCreds=bool blob

Template: name inputs=Inputs outputs=Outputs nodeSelector={string} affinity=any
  metadata=Metadata daemon=bool steps=[[WorkflowStep]] container=Container
  containerSet=ContainerSetTemplate script=ScriptTemplate resource=ResourceTemplate
  dag=DAGTemplate suspend=SuspendTemplate data=DataTemplate http=HTTPTemplate
  plugin=any volumes=[Volume] initContainers=[UserContainer] sidecars=[UserContainer]
  archiveLocation=ArtifactLocation activeDeadlineSeconds=ios
  retryStrategy=RetryStrategy parallelism=int failFast=bool tolerations=[Toleration]
  schedulerName priorityClassName priority=int serviceAccountName
  automountServiceAccountToken=bool executor=ExecutorConfig hostAliases=[HostAlias]
  securityContext=PodSecurityContext podSpecPatch metrics=Metrics
  synchronization=Synchronization memoize=Memoize timeout annotations={string}
  podResources=ResourceRequirements resourceClaims=[PodResourceClaim]

WorkflowStep: name template inline=Template arguments=Arguments templateRef=TemplateRef
  withItems=[any] withParam withSequence=Sequence when continueOn=ContinueOn onExit
  hooks={LifecycleHook}
DAGTemplate: target tasks=[DAGTask] failFast=bool
DAGTask: name template inline=Template arguments=Arguments templateRef=TemplateRef
  dependencies=[string] withItems=[any] withParam withSequence=Sequence when
  continueOn=ContinueOn onExit depends hooks={LifecycleHook}
ContinueOn: error=bool failed=bool
Sequence: count=ios start=ios end=ios format

RetryStrategy: limit=ios retryPolicy backoff=Backoff affinity=RetryAffinity expression
Backoff: duration factor=ios maxDuration cap
RetryAffinity: nodeAntiAffinity=any
Memoize: key cache=Cache maxAge
Cache: configMap=ConfigMapKeySelector

Metrics: prometheus=[Prometheus]
Prometheus: name labels=[MetricLabel] help when gauge=Gauge histogram=Histogram counter=Counter
MetricLabel: key value
Gauge: value realtime=bool operation
Histogram: value buckets=[number]
Counter: value

SuspendTemplate: duration
ResourceTemplate: action mergeStrategy manifest manifestFrom=ManifestFrom
  setOwnerReference=bool successCondition failureCondition flags=[string]
ManifestFrom: artifact=Artifact
DataTemplate: source=DataSource transformation=[TransformationStep]
DataSource: artifactPaths=Artifact
TransformationStep: expression
HTTPTemplate: method url headers=[HTTPHeader] timeoutSeconds=int successCondition
  body bodyFrom=HTTPBodySource insecureSkipVerify=bool
HTTPHeader: name value valueFrom=HTTPHeaderSource
HTTPHeaderSource: secretKeyRef=SecretKeySelector
HTTPBodySource: bytes

ContainerSetTemplate: containers=[ContainerNode] volumeMounts=[VolumeMount]
  retryStrategy=ContainerSetRetryStrategy
ContainerSetRetryStrategy: duration retries=ios
ContainerNode(Container): dependencies=[string]
UserContainer(Container): mirrorVolumeMounts=bool
ScriptTemplate(Container): source
)";

}  // namespace skiff::spec::schema
