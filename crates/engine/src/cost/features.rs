//! Feature states: which features install, by `INSTALLLEVEL`, the Condition table and the
//! state-request properties (`ADDLOCAL`, `REMOVE`, …), parents before children.

use std::collections::{BTreeMap, HashMap, HashSet};

use msi_expr::{ConditionResult, InstallState};

use super::{CostTables, FeaturePlan, InstalledState};
use crate::properties::{Properties, STATE_REQUEST_PROPERTIES};
use crate::tables::feature::{self, FeatureRow};

impl CostTables {
    pub(super) fn feature_states(
        &self,
        props: &Properties,
        installed: &InstalledState,
        maintenance: bool,
    ) -> Vec<FeaturePlan> {
        let install_level: i32 = props
            .get_str("INSTALLLEVEL")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1);
        let any_request = STATE_REQUEST_PROPERTIES.iter().any(|p| props.contains(p));
        let preselected = props.get_str("Preselected") == Some("1");
        let mut levels: HashMap<&str, i32> = self
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f.level))
            .collect();
        if !any_request && !preselected {
            for row in &self.conditions {
                if let Some(cond) = &row.condition
                    && props.evaluate(cond) == ConditionResult::True
                    && let Some(level) = levels.get_mut(row.feature.as_str())
                {
                    *level = row.level;
                }
            }
        }
        let installed_of = |f: &str| {
            if installed.features.contains(f) {
                InstallState::Local
            } else {
                InstallState::Absent
            }
        };
        let default_state = |f: &FeatureRow| {
            if f.attributes & feature::ATTR_FAVOR_SOURCE != 0 {
                InstallState::Source
            } else if f.attributes & feature::ATTR_FAVOR_ADVERTISE != 0 {
                InstallState::Advertised
            } else {
                InstallState::Local
            }
        };
        let mut request: BTreeMap<&str, InstallState> = BTreeMap::new();
        let mut explicit: HashSet<&str> = HashSet::new();
        for f in &self.features {
            let level = level_of(&levels, &f.feature);
            let state = if any_request || maintenance {
                installed_of(&f.feature)
            } else if let Some(&migrated) = self.migrated.get(&f.feature) {
                migrated
            } else if level > 0 && level <= install_level {
                default_state(f)
            } else {
                InstallState::Absent
            };
            request.insert(f.feature.as_str(), state);
        }
        if any_request {
            let list = |name: &str| -> Vec<String> {
                props
                    .get_str(name)
                    .map(|v| {
                        v.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut apply = |name: &str, state: &dyn Fn(&FeatureRow) -> Option<InstallState>| {
                let items = list(name);
                let all = items.iter().any(|i| i == "ALL");
                for f in &self.features {
                    if level_of(&levels, &f.feature) <= 0 {
                        continue;
                    }
                    if (all || items.contains(&f.feature))
                        && let Some(s) = state(f)
                    {
                        request.insert(f.feature.as_str(), s);
                        explicit.insert(f.feature.as_str());
                    }
                }
            };
            apply("ADDLOCAL", &|_| Some(InstallState::Local));
            apply("REMOVE", &|_| Some(InstallState::Absent));
            apply("ADDSOURCE", &|_| Some(InstallState::Source));
            apply("ADDDEFAULT", &|f| Some(default_state(f)));
            apply("REINSTALL", &|f| {
                installed
                    .features
                    .contains(&f.feature)
                    .then_some(InstallState::Local)
            });
            apply("ADVERTISE", &|_| Some(InstallState::Advertised));
        }
        // Level 0: never installed.
        for f in &self.features {
            if level_of(&levels, &f.feature) <= 0 && !installed.features.contains(&f.feature) {
                request.insert(f.feature.as_str(), InstallState::Absent);
            }
        }
        // Parents and children, parents first.
        let order = self.parent_first_order();
        let parent_of: HashMap<&str, Option<&str>> = self
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f.parent.as_deref()))
            .collect();
        if any_request {
            // A child installed ⇒ its parents installed too.
            for f in order.iter().rev() {
                let state = state_of(&request, &f.feature);
                if matches!(state, InstallState::Local | InstallState::Source) {
                    let mut cur = parent_of.get(f.feature.as_str()).copied().flatten();
                    while let Some(p) = cur {
                        if state_of(&request, p) == InstallState::Absent && level_of(&levels, p) > 0
                        {
                            request.insert(p, state);
                        }
                        cur = parent_of.get(p).copied().flatten();
                    }
                }
            }
        }
        for f in &order {
            let Some(p) = f.parent.as_deref() else {
                continue;
            };
            let parent_state = state_of(&request, p);
            let own = state_of(&request, &f.feature);
            if f.attributes & feature::ATTR_FOLLOW_PARENT != 0
                && !explicit.contains(f.feature.as_str())
            {
                if level_of(&levels, &f.feature) > 0 {
                    request.insert(f.feature.as_str(), parent_state);
                }
            } else if parent_state == InstallState::Absent
                && own != InstallState::Absent
                && !any_request
            {
                // A child is not installed when its parent is not selected.
                request.insert(f.feature.as_str(), InstallState::Absent);
            }
        }
        self.features
            .iter()
            .map(|f| {
                let installed = installed_of(&f.feature);
                let request = state_of(&request, &f.feature);
                let reinstall = explicit.contains(f.feature.as_str())
                    && props.contains("REINSTALL")
                    && installed == InstallState::Local;
                let action = if request != installed || reinstall {
                    request
                } else {
                    InstallState::Unknown
                };
                FeaturePlan {
                    feature: f.feature.clone(),
                    level: level_of(&levels, &f.feature),
                    installed,
                    request,
                    action,
                }
            })
            .collect()
    }

    /// Features ordered so every parent precedes its children.
    fn parent_first_order(&self) -> Vec<&FeatureRow> {
        let by_key: HashMap<&str, &FeatureRow> = self
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f))
            .collect();
        let depth = |f: &FeatureRow| {
            let mut d = 0;
            let mut cur = f.parent.as_deref();
            while let Some(p) = cur {
                d += 1;
                if d > 16 {
                    break;
                }
                cur = by_key.get(p).and_then(|r| r.parent.as_deref());
            }
            d
        };
        let mut order: Vec<&FeatureRow> = self.features.iter().collect();
        order.sort_by_key(|f| depth(f));
        order
    }
}

fn level_of(levels: &HashMap<&str, i32>, feature: &str) -> i32 {
    levels.get(feature).copied().unwrap_or(0)
}

fn state_of(request: &BTreeMap<&str, InstallState>, feature: &str) -> InstallState {
    request
        .get(feature)
        .copied()
        .unwrap_or(InstallState::Absent)
}

/// The better of two requested component states: Local > Source >
/// Advertised > Absent.
pub(super) fn better(a: InstallState, b: InstallState) -> InstallState {
    let rank = |s: InstallState| match s {
        InstallState::Local => 4,
        InstallState::Source => 3,
        InstallState::Advertised => 2,
        InstallState::Absent => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}
