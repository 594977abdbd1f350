import { kubeGlobalSetup } from '../../harness/kube/global-setup.js';

// Two separate clusters (one etcd, two prefixes) with controllers, scheduler, kwok and a fake node.
export default kubeGlobalSetup({ clusters: ['alpha', 'beta'] });
