import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/** Pods carrying this label (value "true") start Running but never become Ready: tests of failing health. */
export const UNREADY_POD_LABEL = 'flotilla.dev/test-unready';

interface Stage {
  metadata: { name: string };
  spec: { selector: { matchExpressions?: unknown[]; matchLabels?: Record<string, string> } };
}

const UNREADY_STATUS = `{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  message: "readiness probe failed (kwok stage pod-unready)"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
phase: Running
startTime: {{ $now | Quote }}
`;

const unreadyStage = {
  apiVersion: 'kwok.x-k8s.io/v1alpha1',
  kind: 'Stage',
  metadata: { name: 'pod-unready' },
  spec: {
    resourceRef: { apiGroup: 'v1', kind: 'Pod' },
    selector: {
      matchLabels: { [UNREADY_POD_LABEL]: 'true' },
      matchExpressions: [
        { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
        { key: '.status.phase', operator: 'In', values: ['Pending'] },
      ],
    },
    next: { statusTemplate: UNREADY_STATUS },
  },
};

/**
 * kwok's default stages plus `pod-unready`: the default `pod-ready` stage skips labelled pods, which
 * the extra stage moves to Running with Ready=False instead. Returns the path of the file written.
 */
export function writeKwokStages(defaultStagesFile: string, dir: string): string {
  const docs = parseAllDocuments(readFileSync(defaultStagesFile, 'utf8'))
    .map((d) => d.toJS() as Stage | null)
    .filter((d): d is Stage => d !== null);
  for (const stage of docs) {
    if (stage.metadata.name !== 'pod-ready') continue;
    stage.spec.selector.matchExpressions = [
      ...(stage.spec.selector.matchExpressions ?? []),
      { key: `.metadata.labels["${UNREADY_POD_LABEL}"]`, operator: 'DoesNotExist' },
    ];
  }
  const file = join(dir, 'kwok-stages.yaml');
  writeFileSync(file, [...docs, unreadyStage].map((d) => `---\n${stringify(d)}`).join(''));
  return file;
}
