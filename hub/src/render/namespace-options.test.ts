import { describe, expect, it } from 'vitest';
import { namespaceOptions } from './namespace-options.js';

describe("fleet.yaml's namespace options", () => {
  it('merges a customization’s labels and annotations over the top level’s; its booleans win', () => {
    const fleet = {
      namespace: 'shop',
      namespaceLabels: { team: 'shop', tier: 'web' },
      namespaceAnnotations: { owner: 'a' },
      deleteNamespace: true,
    };
    expect(namespaceOptions(fleet, undefined)).toEqual({
      namespaceLabels: { team: 'shop', tier: 'web' },
      namespaceAnnotations: { owner: 'a' },
      deleteNamespace: true,
    });
    expect(
      namespaceOptions(fleet, {
        name: 'prod',
        namespaceLabels: { tier: 'edge' },
        deleteNamespace: false,
        keepResources: true,
      }),
    ).toEqual({
      namespaceLabels: { team: 'shop', tier: 'edge' },
      namespaceAnnotations: { owner: 'a' },
      keepResources: true,
    });
  });

  it('says nothing when fleet.yaml says nothing (the stored options, and so the generation, stay as they were)', () => {
    expect(namespaceOptions({ namespace: 'shop' }, undefined)).toEqual({});
    expect(namespaceOptions({ namespaceLabels: {} }, { namespaceAnnotations: {} })).toEqual({});
  });
});
