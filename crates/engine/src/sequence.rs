//! The sequence runner: a sequence table's rows in order, each with its condition
//! ("Using a Sequence Table").
//!
//! Rows with a positive `Sequence` run in ascending order; null, zero and negative numbers
//! never run in order (the negative ones are the termination rows: -1 success, -2 user
//! exit, -3 failure, -4 suspend, run once at the end). An empty condition is true; a false
//! one skips the row (`Skipping action: Name (condition is false)`); a condition that does
//! not parse ends the sequence with a failure, as the documentation says (Wine runs the
//! action instead; the documentation wins).
//!
//! Each action is bracketed in the log by `Doing action:`, `Action start HH:MM:SS: Name.`
//! and `Action ended HH:MM:SS: Name. Return value N.`; the value is the log value of
//! "Logging of Action Return Values" ([`ActionResult::log_value`]).

use msi_expr::ConditionResult;

use crate::log::Log;
use crate::tables::sequence::SequenceRow;

/// What an action returned ("Custom Action Return Values"), with its log value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActionResult {
    /// `ERROR_FUNCTION_NOT_CALLED` (1626): not executed; log value 0. The sequence goes on.
    NotCalled,
    /// `ERROR_SUCCESS`: log value 1.
    Success,
    /// `ERROR_INSTALL_USEREXIT` (1602): log value 2.
    UserExit,
    /// `ERROR_INSTALL_FAILURE` (1603): log value 3.
    Failure,
    /// `ERROR_INSTALL_SUSPEND` (1604): log value 4.
    Suspend,
}

impl ActionResult {
    /// The number after `Return value` ("Logging of Action Return Values").
    pub(crate) fn log_value(self) -> u32 {
        match self {
            ActionResult::NotCalled => 0,
            ActionResult::Success => 1,
            ActionResult::UserExit => 2,
            ActionResult::Failure => 3,
            ActionResult::Suspend => 4,
        }
    }

    /// Whether the sequence stops here.
    pub(crate) fn stops(self) -> bool {
        !matches!(self, ActionResult::NotCalled | ActionResult::Success)
    }
}

/// Which table a sequence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// InstallUISequence.
    Ui,
    /// InstallExecuteSequence.
    Execute,
}

/// What the runner needs from the session.
pub(crate) trait Host {
    /// Evaluates a condition against the current properties and states.
    fn condition(&mut self, text: &str) -> ConditionResult;
    /// The log.
    fn log(&mut self) -> &mut Log;
    /// Whether an action must not run in this sequence (e.g. AppSearch after the UI
    /// sequence ran it); the reason for the log.
    fn skip_reason(&mut self, action: &str, which: Which) -> Option<String>;
    /// Runs one action (standard, custom, or dialog) and returns its result.
    fn run(&mut self, action: &str, which: Which) -> ActionResult;
}

/// Runs the rows of one sequence table in order. Returns the first result that stops the
/// sequence, or success.
pub(crate) fn run(rows: &[SequenceRow], which: Which, host: &mut dyn Host) -> ActionResult {
    let mut ordered: Vec<&SequenceRow> = rows
        .iter()
        .filter(|r| r.sequence.is_some_and(|s| s > 0))
        .collect();
    // Stable: rows with equal numbers keep the package's order.
    ordered.sort_by_key(|r| r.sequence);
    for row in ordered {
        if let Some(result) = run_row(row, which, host)
            && result.stops()
        {
            return result;
        }
    }
    ActionResult::Success
}

/// Runs one row: evaluates its condition and, when true, the action. `None` when the row
/// was skipped.
pub(crate) fn run_row(
    row: &SequenceRow,
    which: Which,
    host: &mut dyn Host,
) -> Option<ActionResult> {
    if let Some(cond) = row.condition.as_deref().filter(|c| !c.trim().is_empty()) {
        match host.condition(cond) {
            ConditionResult::True | ConditionResult::None => {}
            ConditionResult::False => {
                host.log().skipping(&row.action);
                return None;
            }
            _ => {
                let log = host.log();
                log.engine(&format!(
                    "The condition '{cond}' of action {} is not a valid condition (MSICONDITION_ERROR): the sequence ends (iesBadActionData)",
                    row.action
                ));
                log.action_start(&row.action);
                log.action_end(&row.action, ActionResult::Failure.log_value());
                return Some(ActionResult::Failure);
            }
        }
    }
    if let Some(reason) = host.skip_reason(&row.action, which) {
        host.log()
            .engine(&format!("Skipping action: {} ({reason})", row.action));
        return None;
    }
    host.log().action_start(&row.action);
    let result = host.run(&row.action, which);
    host.log().action_end(&row.action, result.log_value());
    Some(result)
}

/// The termination row for `flag` (-1, -2, -3, -4), if the table has one.
pub(crate) fn termination(rows: &[SequenceRow], flag: i32) -> Option<&SequenceRow> {
    rows.iter().find(|r| r.sequence == Some(flag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use msi_expr::{MapLookup, evaluate_condition};

    struct Fake {
        log: Log,
        props: MapLookup,
        ran: Vec<String>,
        results: Vec<(&'static str, ActionResult)>,
    }

    impl Host for Fake {
        fn condition(&mut self, text: &str) -> ConditionResult {
            evaluate_condition(text, &self.props)
        }
        fn log(&mut self) -> &mut Log {
            &mut self.log
        }
        fn skip_reason(&mut self, action: &str, _: Which) -> Option<String> {
            (action == "AlreadyRan").then(|| "already ran".to_string())
        }
        fn run(&mut self, action: &str, _: Which) -> ActionResult {
            self.ran.push(action.to_string());
            self.results
                .iter()
                .find(|(a, _)| *a == action)
                .map_or(ActionResult::Success, |(_, r)| *r)
        }
    }

    fn row(action: &str, condition: Option<&str>, sequence: Option<i32>) -> SequenceRow {
        SequenceRow {
            action: action.into(),
            condition: condition.map(str::to_string),
            sequence,
        }
    }

    fn fake() -> Fake {
        let mut props = MapLookup::new();
        props.set_property("ON", "1");
        Fake {
            log: Log::none(),
            props,
            ran: Vec::new(),
            results: Vec::new(),
        }
    }

    #[test]
    fn order_conditions_and_never_run_numbers() {
        let rows = vec![
            row("C", None, Some(300)),
            row("A", None, Some(100)),
            row("Off", Some("NOT ON"), Some(150)),
            row("On", Some("ON"), Some(160)),
            row("Zero", None, Some(0)),
            row("Null", None, None),
            row("Exit", None, Some(-1)),
            row("AlreadyRan", None, Some(170)),
            row("B", Some(""), Some(200)),
        ];
        let mut f = fake();
        assert_eq!(run(&rows, Which::Execute, &mut f), ActionResult::Success);
        assert_eq!(f.ran, ["A", "On", "B", "C"]);
        assert_eq!(
            termination(&rows, -1).map(|r| r.action.as_str()),
            Some("Exit")
        );
    }

    #[test]
    fn failure_stops_the_sequence() {
        let rows = vec![
            row("A", None, Some(1)),
            row("B", None, Some(2)),
            row("C", None, Some(3)),
        ];
        let mut f = fake();
        f.results.push(("B", ActionResult::Failure));
        assert_eq!(run(&rows, Which::Execute, &mut f), ActionResult::Failure);
        assert_eq!(f.ran, ["A", "B"]);
        let mut f = fake();
        f.results.push(("A", ActionResult::NotCalled));
        assert_eq!(run(&rows, Which::Execute, &mut f), ActionResult::Success);
        assert_eq!(f.ran, ["A", "B", "C"]);
    }

    #[test]
    fn a_condition_that_does_not_parse_ends_the_sequence() {
        let rows = vec![row("A", Some("(ON"), Some(1)), row("B", None, Some(2))];
        let mut f = fake();
        assert_eq!(run(&rows, Which::Execute, &mut f), ActionResult::Failure);
        assert!(f.ran.is_empty());
    }

    #[test]
    fn log_values_match_spec_6_1() {
        let table = [
            (ActionResult::NotCalled, 0),
            (ActionResult::Success, 1),
            (ActionResult::UserExit, 2),
            (ActionResult::Failure, 3),
            (ActionResult::Suspend, 4),
        ];
        for (r, v) in table {
            assert_eq!(r.log_value(), v);
        }
    }
}
