//! Component states: each component's target folder, condition, installed state, request
//! (from its features' requests and its attributes) and action.

use std::collections::HashMap;
use std::path::Path;

use msi_expr::{ConditionResult, InstallState};

use super::features::better;
use super::{ComponentPlan, CostTables, FeaturePlan, InstalledState};
use crate::directory::{Directories, place_under_root};
use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::tables::component;

impl CostTables {
    /// The components' states, from the features' (see the module documentation).
    pub(super) fn component_states(
        &self,
        props: &Properties,
        root: &Path,
        dirs: &Directories,
        features: &[FeaturePlan],
        installed_state: &InstalledState,
    ) -> Result<Vec<ComponentPlan>> {
        let feature_action: HashMap<&str, &FeaturePlan> =
            features.iter().map(|f| (f.feature.as_str(), f)).collect();
        let mut comp_features: HashMap<&str, Vec<&str>> = HashMap::new();
        for fc in &self.feature_components {
            comp_features
                .entry(fc.component.as_str())
                .or_default()
                .push(fc.feature.as_str());
        }
        let reinstall = props.contains("REINSTALL");
        let mut components = Vec::new();
        for c in &self.components {
            let target_dir = match dirs.target(&c.directory) {
                Some(t) => t.to_path_buf(),
                None => match props.get_str(&c.directory) {
                    Some(v) => place_under_root(root, v)?,
                    None => {
                        return Err(Error::bad_row(
                            "Component",
                            &c.component,
                            format!("unknown directory {:?}", c.directory),
                        ));
                    }
                },
            };
            let enabled = match &c.condition {
                None => true,
                Some(cond) => matches!(
                    props.evaluate(cond),
                    ConditionResult::True | ConditionResult::None
                ),
            };
            let installed = if installed_state.components.contains(&c.component) {
                InstallState::Local
            } else {
                InstallState::Absent
            };
            let mut request = InstallState::Absent;
            for f in comp_features
                .get(c.component.as_str())
                .into_iter()
                .flatten()
            {
                let Some(fp) = feature_action.get(f) else {
                    continue;
                };
                let wanted = match fp.request {
                    InstallState::Local => {
                        if c.attributes & 3 == component::ATTR_SOURCE_ONLY {
                            InstallState::Source
                        } else {
                            InstallState::Local
                        }
                    }
                    InstallState::Source => {
                        if c.attributes & 3 == 0 {
                            InstallState::Local
                        } else {
                            InstallState::Source
                        }
                    }
                    other => other,
                };
                request = better(request, wanted);
            }
            if !enabled && installed == InstallState::Absent {
                request = InstallState::Absent;
            }
            if request == InstallState::Absent
                && installed == InstallState::Local
                && c.attributes & component::ATTR_PERMANENT != 0
            {
                request = InstallState::Local;
            }
            let mut action =
                if request != installed || (reinstall && request == InstallState::Local) {
                    request
                } else {
                    InstallState::Unknown
                };
            if action == InstallState::Absent && installed == InstallState::Absent {
                action = InstallState::Unknown;
            }
            components.push(ComponentPlan {
                component: c.component.clone(),
                component_id: c.component_id.clone(),
                directory: c.directory.clone(),
                target_dir,
                enabled,
                installed,
                request,
                action,
                key_path: c.key_path.clone(),
                attributes: c.attributes,
            });
        }
        Ok(components)
    }
}
