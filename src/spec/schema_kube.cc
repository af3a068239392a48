// The Kubernetes types Argo embeds (core/v1), and the ConfigMap and Secret
// documents a workflow may read. Below the less common ones (affinity,
// volume sources, probes' handlers) any object is accepted: Kubernetes
// validates those itself. Format: schema.h.
#include "spec/schema.h"

namespace skiff::spec::schema {

const char kKubernetesSchema[] = R"(
ConfigMap: apiVersion kind metadata=ObjectMeta data={string} binaryData={string} immutable=bool
Secret: apiVersion kind metadata=ObjectMeta data={string} stringData={string} type immutable=bool

ObjectMeta: name generateName namespace labels={string} annotations={string} uid
  resourceVersion generation=int creationTimestamp=any deletionTimestamp=any
  deletionGracePeriodSeconds=int finalizers=[string] ownerReferences=[any]
  managedFields=[any] selfLink clusterName

Container: name image command=[string] args=[string] workingDir ports=[ContainerPort]
  envFrom=[EnvFromSource] env=[EnvVar] resources=ResourceRequirements
  resizePolicy=[any] restartPolicy volumeMounts=[VolumeMount] volumeDevices=[any]
  livenessProbe=Probe readinessProbe=Probe startupProbe=Probe lifecycle=any
  terminationMessagePath terminationMessagePolicy imagePullPolicy
  securityContext=SecurityContext stdin=bool stdinOnce=bool tty=bool
ContainerPort: name hostPort=int containerPort=int protocol hostIP
EnvVar: name value valueFrom=EnvVarSource
EnvVarSource: fieldRef=any resourceFieldRef=any configMapKeyRef=ConfigMapKeySelector
  secretKeyRef=SecretKeySelector fileKeyRef=any
EnvFromSource: prefix configMapRef=any secretRef=any
ConfigMapKeySelector: name key optional=bool
SecretKeySelector: name key optional=bool
LocalObjectReference: name
ResourceRequirements: limits={anystr} requests={anystr} claims=[any]
VolumeMount: name readOnly=bool mountPath subPath mountPropagation subPathExpr
  recursiveReadOnly
SecurityContext: capabilities=any privileged=bool seLinuxOptions=any windowsOptions=any
  runAsUser=int runAsGroup=int runAsNonRoot=bool readOnlyRootFilesystem=bool
  allowPrivilegeEscalation=bool procMount seccompProfile=any appArmorProfile=any
PodSecurityContext: seLinuxOptions=any windowsOptions=any runAsUser=int runAsGroup=int
  runAsNonRoot=bool supplementalGroups=[int] supplementalGroupsPolicy fsGroup=int
  sysctls=[any] fsGroupChangePolicy seccompProfile=any appArmorProfile=any
  seLinuxChangePolicy
Probe: exec=any httpGet=any tcpSocket=any grpc=any initialDelaySeconds=int
  timeoutSeconds=int periodSeconds=int successThreshold=int failureThreshold=int
  terminationGracePeriodSeconds=int

Volume: name hostPath=any emptyDir=any gcePersistentDisk=any awsElasticBlockStore=any
  gitRepo=any secret=any nfs=any iscsi=any glusterfs=any persistentVolumeClaim=any
  rbd=any flexVolume=any cinder=any cephfs=any flocker=any downwardAPI=any fc=any
  azureFile=any configMap=any vsphereVolume=any quobyte=any azureDisk=any
  photonPersistentDisk=any projected=any portworxVolume=any scaleIO=any
  storageos=any csi=any ephemeral=any image=any
PersistentVolumeClaim: apiVersion kind metadata=ObjectMeta spec=PersistentVolumeClaimSpec
  status=any
PersistentVolumeClaimSpec: accessModes=[string] selector=any resources=any volumeName
  storageClassName volumeMode dataSource=any dataSourceRef=any
  volumeAttributesClassName

Toleration: key operator value effect tolerationSeconds=int
PodDNSConfig: nameservers=[string] searches=[string] options=[PodDNSConfigOption]
PodDNSConfigOption: name value
HostAlias: ip hostnames=[string]
)";

}  // namespace skiff::spec::schema
