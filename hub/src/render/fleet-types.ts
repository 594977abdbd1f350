/*
 * The typed form of Rancher Fleet's `fleet.yaml`, field names exactly as Fleet documents them,
 * derived from the schema that parseFleetYaml validates (fleet-schema.ts), so they cannot drift.
 * What Flotilla does with each field (supported, different, refused, parsed but not yet honoured),
 * and the test that shows it: docs/fleet-yaml.md. Refused fields (helm.valuesFrom, serviceAccount,
 * overrideTargets) are typed `never`: they never reach these values, nor does `paused: true`.
 */
import type { Static } from '@sinclair/typebox';
import type {
  ComparePatchSchema,
  DependsOnSchema,
  DeploymentOptionsSchema,
  FleetYamlSchema,
  HelmOptionsSchema,
  LabelSelectorRequirementSchema,
  LabelSelectorSchema,
  TargetCriteriaSchema,
  TargetCustomizationSchema,
} from './fleet-schema.js';

export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;
export type LabelSelector = Static<typeof LabelSelectorSchema>;
export type HelmOptions = Static<typeof HelmOptionsSchema>;
export type ComparePatch = Static<typeof ComparePatchSchema>;
/** Fleet's BundleDeploymentOptions: valid at the top of fleet.yaml and in each targetCustomization. */
export type DeploymentOptions = Static<typeof DeploymentOptionsSchema>;
/** The criteria a targetCustomization matches clusters by. */
export type TargetCriteria = Static<typeof TargetCriteriaSchema>;
export type TargetCustomization = Static<typeof TargetCustomizationSchema>;
export type DependsOn = Static<typeof DependsOnSchema>;
export type FleetYaml = Static<typeof FleetYamlSchema>;
