//! What expressions read from an installation: the [`Lookup`] trait and [`MapLookup`].

use std::borrow::Cow;
use std::collections::HashMap;

/// Installed or action state of a feature or component (`INSTALLSTATE_*`).
///
/// `state as i32` is Windows' number, which is what a condition compares (`&Feature=3`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InstallState {
    /// `INSTALLSTATE_NOTUSED` (−7): the component is disabled.
    NotUsed = -7,
    /// `INSTALLSTATE_BADCONFIG` (−6): configuration data corrupt.
    BadConfig = -6,
    /// `INSTALLSTATE_INCOMPLETE` (−5): installation suspended or in progress.
    Incomplete = -5,
    /// `INSTALLSTATE_SOURCEABSENT` (−4): run from source, source is unavailable.
    SourceAbsent = -4,
    /// `INSTALLSTATE_MOREDATA` (−3): return buffer overflow.
    MoreData = -3,
    /// `INSTALLSTATE_INVALIDARG` (−2): invalid function argument.
    InvalidArg = -2,
    /// `INSTALLSTATE_UNKNOWN` (−1): no action to be taken / unrecognised.
    Unknown = -1,
    /// `INSTALLSTATE_BROKEN` (0): broken.
    Broken = 0,
    /// `INSTALLSTATE_ADVERTISED` (1): advertised feature (`INSTALLSTATE_REMOVED` shares the value).
    Advertised = 1,
    /// `INSTALLSTATE_ABSENT` (2): not present.
    Absent = 2,
    /// `INSTALLSTATE_LOCAL` (3): on the local computer.
    Local = 3,
    /// `INSTALLSTATE_SOURCE` (4): run from the source.
    Source = 4,
    /// `INSTALLSTATE_DEFAULT` (5): the default state.
    Default = 5,
}

impl InstallState {
    /// Windows' number for the state.
    pub fn value(self) -> i32 {
        self as i32
    }

    /// The Windows name (`INSTALLSTATE_LOCAL`, …).
    pub fn name(self) -> &'static str {
        match self {
            InstallState::NotUsed => "INSTALLSTATE_NOTUSED",
            InstallState::BadConfig => "INSTALLSTATE_BADCONFIG",
            InstallState::Incomplete => "INSTALLSTATE_INCOMPLETE",
            InstallState::SourceAbsent => "INSTALLSTATE_SOURCEABSENT",
            InstallState::MoreData => "INSTALLSTATE_MOREDATA",
            InstallState::InvalidArg => "INSTALLSTATE_INVALIDARG",
            InstallState::Unknown => "INSTALLSTATE_UNKNOWN",
            InstallState::Broken => "INSTALLSTATE_BROKEN",
            InstallState::Advertised => "INSTALLSTATE_ADVERTISED",
            InstallState::Absent => "INSTALLSTATE_ABSENT",
            InstallState::Local => "INSTALLSTATE_LOCAL",
            InstallState::Source => "INSTALLSTATE_SOURCE",
            InstallState::Default => "INSTALLSTATE_DEFAULT",
        }
    }

    /// The state with Windows' number `value`, if there is one.
    pub fn from_value(value: i32) -> Option<InstallState> {
        Some(match value {
            -7 => InstallState::NotUsed,
            -6 => InstallState::BadConfig,
            -5 => InstallState::Incomplete,
            -4 => InstallState::SourceAbsent,
            -3 => InstallState::MoreData,
            -2 => InstallState::InvalidArg,
            -1 => InstallState::Unknown,
            0 => InstallState::Broken,
            1 => InstallState::Advertised,
            2 => InstallState::Absent,
            3 => InstallState::Local,
            4 => InstallState::Source,
            5 => InstallState::Default,
            _ => return None,
        })
    }
}

/// Everything an expression reads from an installation.
///
/// The engine implements it over its property store and tables; [`MapLookup`] serves tests and
/// the command line. Property, feature and component names are case-sensitive and are passed
/// exactly as written; environment variable names are case-insensitive on Windows, which the
/// implementation must honour (see [`env_var_ignore_case`]).
pub trait Lookup {
    /// Value of a property; `None` when the property is not set (MSI treats unset as "").
    fn property(&self, name: &str) -> Option<Cow<'_, str>>;

    /// Environment variable (for `%NAME` in conditions and `[%NAME]` in formatted strings).
    ///
    /// The default reads the process environment, ignoring case as Windows does.
    fn env_var(&self, name: &str) -> Option<Cow<'_, str>> {
        env_var_ignore_case(name).map(Cow::Owned)
    }

    /// (installed, action) states of a feature for `!F` and `&F`; `None` = no such feature.
    fn feature_state(&self, _name: &str) -> Option<(InstallState, InstallState)> {
        None
    }

    /// (installed, action) states of a component for `?C` and `$C`; `None` = no such component.
    fn component_state(&self, _name: &str) -> Option<(InstallState, InstallState)> {
        None
    }

    /// `[#filekey]`: full path of the file (per "Formatted"), `None` if unknown.
    fn file_path(&self, _key: &str) -> Option<Cow<'_, str>> {
        None
    }

    /// `[!filekey]`: short-name (8.3) path, used only where [`FormatOptions`](crate::FormatOptions)
    /// asks for it (Registry and IniFile `Value` columns); `None` falls back to [`Lookup::file_path`].
    fn file_short_path(&self, _key: &str) -> Option<Cow<'_, str>> {
        None
    }

    /// `[$component]`: the component's directory (ending with the separator), `None` if unknown.
    fn component_directory(&self, _key: &str) -> Option<Cow<'_, str>> {
        None
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn property(&self, name: &str) -> Option<Cow<'_, str>> {
        (**self).property(name)
    }
    fn env_var(&self, name: &str) -> Option<Cow<'_, str>> {
        (**self).env_var(name)
    }
    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        (**self).feature_state(name)
    }
    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        (**self).component_state(name)
    }
    fn file_path(&self, key: &str) -> Option<Cow<'_, str>> {
        (**self).file_path(key)
    }
    fn file_short_path(&self, key: &str) -> Option<Cow<'_, str>> {
        (**self).file_short_path(key)
    }
    fn component_directory(&self, key: &str) -> Option<Cow<'_, str>> {
        (**self).component_directory(key)
    }
}

/// Reads an environment variable of this process, ignoring ASCII case as Windows does.
///
/// An exact match wins; otherwise the first variable whose name matches ignoring case. Values
/// that are not valid Unicode are read lossily.
pub fn env_var_ignore_case(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    if let Some(v) = std::env::var_os(name) {
        return Some(v.to_string_lossy().into_owned());
    }
    std::env::vars_os().find_map(|(k, v)| {
        k.to_str()
            .filter(|k| k.eq_ignore_ascii_case(name))
            .map(|_| v.to_string_lossy().into_owned())
    })
}

/// A [`Lookup`] over plain maps, for tests and the command line.
///
/// Invariants: a property set to the empty string is removed (Windows Installer deletes a
/// property set to ""), and environment overrides are keyed by their upper-cased name so that
/// lookups ignore case. Environment variables not overridden come from the process unless
/// [`MapLookup::isolate_env`] was called.
#[derive(Debug, Clone, Default)]
pub struct MapLookup {
    properties: HashMap<String, String>,
    env: HashMap<String, Option<String>>,
    isolated_env: bool,
    features: HashMap<String, (InstallState, InstallState)>,
    components: HashMap<String, (InstallState, InstallState)>,
    files: HashMap<String, String>,
    short_files: HashMap<String, String>,
    component_dirs: HashMap<String, String>,
}

impl MapLookup {
    /// An empty lookup: no properties, the process environment, no features or components.
    pub fn new() -> MapLookup {
        MapLookup::default()
    }

    /// Sets a property; the empty string removes it, as `MsiSetProperty` does.
    pub fn set_property(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (name, value) = (name.into(), value.into());
        if value.is_empty() {
            self.properties.remove(&name);
        } else {
            self.properties.insert(name, value);
        }
        self
    }

    /// Removes a property.
    pub fn remove_property(&mut self, name: &str) -> &mut Self {
        self.properties.remove(name);
        self
    }

    /// The properties currently set.
    pub fn properties(&self) -> &HashMap<String, String> {
        &self.properties
    }

    /// Sets an environment variable as the expressions see it (over the process's own).
    pub fn set_env(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.env
            .insert(name.to_ascii_uppercase(), Some(value.into()));
        self
    }

    /// Hides an environment variable from the expressions.
    pub fn unset_env(&mut self, name: &str) -> &mut Self {
        self.env.insert(name.to_ascii_uppercase(), None);
        self
    }

    /// Stops reading the process environment: only [`MapLookup::set_env`] values are seen.
    pub fn isolate_env(&mut self) -> &mut Self {
        self.isolated_env = true;
        self
    }

    /// Declares a feature with its installed and action states.
    pub fn set_feature(
        &mut self,
        name: impl Into<String>,
        installed: InstallState,
        action: InstallState,
    ) -> &mut Self {
        self.features.insert(name.into(), (installed, action));
        self
    }

    /// Declares a component with its installed and action states.
    pub fn set_component(
        &mut self,
        name: impl Into<String>,
        installed: InstallState,
        action: InstallState,
    ) -> &mut Self {
        self.components.insert(name.into(), (installed, action));
        self
    }

    /// Sets the full path `[#key]` gives (and `[!key]` unless a short path is set).
    pub fn set_file_path(&mut self, key: impl Into<String>, path: impl Into<String>) -> &mut Self {
        self.files.insert(key.into(), path.into());
        self
    }

    /// Sets the short path `[!key]` gives where short paths apply.
    pub fn set_file_short_path(
        &mut self,
        key: impl Into<String>,
        path: impl Into<String>,
    ) -> &mut Self {
        self.short_files.insert(key.into(), path.into());
        self
    }

    /// Sets the directory `[$key]` gives.
    pub fn set_component_directory(
        &mut self,
        key: impl Into<String>,
        dir: impl Into<String>,
    ) -> &mut Self {
        self.component_dirs.insert(key.into(), dir.into());
        self
    }
}

impl Lookup for MapLookup {
    fn property(&self, name: &str) -> Option<Cow<'_, str>> {
        self.properties.get(name).map(|v| Cow::Borrowed(v.as_str()))
    }

    fn env_var(&self, name: &str) -> Option<Cow<'_, str>> {
        // Fast path: most names are written upper-case already.
        let over = if name.bytes().any(|b| b.is_ascii_lowercase()) {
            self.env.get(&name.to_ascii_uppercase())
        } else {
            self.env.get(name)
        };
        match over {
            Some(Some(v)) => Some(Cow::Borrowed(v.as_str())),
            Some(None) => None,
            None if self.isolated_env => None,
            None => env_var_ignore_case(name).map(Cow::Owned),
        }
    }

    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.features.get(name).copied()
    }

    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.components.get(name).copied()
    }

    fn file_path(&self, key: &str) -> Option<Cow<'_, str>> {
        self.files.get(key).map(|v| Cow::Borrowed(v.as_str()))
    }

    fn file_short_path(&self, key: &str) -> Option<Cow<'_, str>> {
        self.short_files.get(key).map(|v| Cow::Borrowed(v.as_str()))
    }

    fn component_directory(&self, key: &str) -> Option<Cow<'_, str>> {
        self.component_dirs
            .get(key)
            .map(|v| Cow::Borrowed(v.as_str()))
    }
}
