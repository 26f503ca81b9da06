//! What every rule reads: the package's tables with named access to their
//! rows, the merged `_Validation` rows, the Property table and the
//! Directory tree.

use std::collections::{BTreeMap, HashMap};

use crate::db::{Package, Table, Value};
use crate::schema::Schema;

/// The package under validation, with the lookups the rules share.
pub(crate) struct Ctx<'p> {
    pub(crate) package: &'p Package,
    pub(crate) schema: Schema,
    properties: BTreeMap<String, String>,
    directories: HashMap<String, Dir>,
}

/// One Directory row: its parent and its target name.
#[derive(Debug, Clone)]
struct Dir {
    parent: Option<String>,
    default_dir: String,
}

impl<'p> Ctx<'p> {
    pub(crate) fn new(package: &'p Package) -> Ctx<'p> {
        let mut ctx = Ctx {
            package,
            schema: Schema::for_package(package),
            properties: BTreeMap::new(),
            directories: HashMap::new(),
        };
        let mut properties = BTreeMap::new();
        for row in ctx.rows("Property") {
            if let (Some(name), Some(value)) = (row.str("Property"), row.text("Value")) {
                properties.insert(name.to_string(), value);
            }
        }
        let mut directories = HashMap::new();
        for row in ctx.rows("Directory") {
            if let Some(name) = row.str("Directory") {
                directories.insert(
                    name.to_string(),
                    Dir {
                        parent: row.str("Directory_Parent").map(str::to_string),
                        default_dir: row.text("DefaultDir").unwrap_or_default(),
                    },
                );
            }
        }
        ctx.properties = properties;
        ctx.directories = directories;
        ctx
    }

    /// A table, `None` when the package lacks it.
    pub(crate) fn table(&self, name: &str) -> Option<&'p Table> {
        self.package.table(name)
    }

    /// The rows of a table (none when the package lacks it).
    pub(crate) fn rows(&self, name: &str) -> Vec<Row<'p>> {
        match self.package.table(name) {
            Some(table) => table
                .rows
                .iter()
                .map(|cells| Row { table, cells })
                .collect(),
            None => Vec::new(),
        }
    }

    /// A Property table value.
    pub(crate) fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(String::as_str)
    }

    /// The Property table.
    pub(crate) fn properties(&self) -> &BTreeMap<String, String> {
        &self.properties
    }

    /// Whether the Directory table has `name`.
    pub(crate) fn has_directory(&self, name: &str) -> bool {
        self.directories.contains_key(name)
    }

    /// `dir` and its ancestors, nearest first (a cycle ends the walk).
    pub(crate) fn directory_chain(&self, dir: &str) -> Vec<String> {
        let mut chain = vec![dir.to_string()];
        let mut current = dir.to_string();
        while let Some(parent) = self
            .directories
            .get(&current)
            .and_then(|d| d.parent.clone())
            .filter(|p| *p != current)
        {
            if chain.contains(&parent) || chain.len() > 256 {
                break;
            }
            chain.push(parent.clone());
            current = parent;
        }
        chain
    }

    /// Whether `dir` is `folder` or lies under it.
    pub(crate) fn is_under(&self, dir: &str, folders: &[&str]) -> bool {
        self.directory_chain(dir)
            .iter()
            .any(|d| folders.contains(&d.as_str()))
    }

    /// The target path of `dir` as ICE30 prints it: the root's DefaultDir, then
    /// each level's long target name (`.` levels add nothing), joined with
    /// `\`; `short` takes the short names instead.
    pub(crate) fn directory_path(&self, dir: &str, short: bool) -> String {
        let chain = self.directory_chain(dir);
        let mut parts: Vec<String> = Vec::new();
        for (i, d) in chain.iter().rev().enumerate() {
            let default = self
                .directories
                .get(d)
                .map(|x| x.default_dir.as_str())
                .unwrap_or("");
            let target = default.split(':').next().unwrap_or("");
            let name = match target.split_once('|') {
                Some((s, l)) => {
                    if short {
                        s
                    } else {
                        l
                    }
                }
                None => target,
            };
            if i == 0 {
                // The root: its DefaultDir names it (SourceDir, TARGETDIR).
                parts.push(if name.is_empty() {
                    d.clone()
                } else {
                    name.to_string()
                });
            } else if !name.is_empty() && name != "." {
                parts.push(name.to_string());
            }
        }
        parts.join("\\")
    }
}

/// One row with named access.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    pub(crate) table: &'a Table,
    pub(crate) cells: &'a [Value],
}

impl<'a> Row<'a> {
    /// The cell of `column`.
    pub(crate) fn get(&self, column: &str) -> Option<&'a Value> {
        self.table
            .column_index(column)
            .and_then(|i| self.cells.get(i))
    }

    /// A string cell (`None` for null, absent or integer cells).
    pub(crate) fn str(&self, column: &str) -> Option<&'a str> {
        match self.get(column) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// A cell as text (`None` for null or absent).
    pub(crate) fn text(&self, column: &str) -> Option<String> {
        match self.get(column) {
            Some(Value::Str(s)) => Some(s.clone()),
            Some(Value::Int(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    /// An integer cell (a string of digits counts).
    pub(crate) fn int(&self, column: &str) -> Option<i32> {
        match self.get(column) {
            Some(Value::Int(n)) => Some(*n),
            Some(Value::Str(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The primary key, one string per key column.
    pub(crate) fn key(&self) -> Vec<String> {
        self.table
            .columns
            .iter()
            .zip(self.cells)
            .filter(|(c, _)| c.primary_key)
            .map(|(_, v)| v.text())
            .collect()
    }
}
