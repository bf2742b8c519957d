//! A rule as it is judged: its conditions compiled at load into a small expression tree over
//! [`Fact`]s (facts resolved, macros and named lists inlined, regexes compiled, literals typed),
//! and its message template split into text and placeholders. Evaluation (`eval`) then never
//! looks a name up or converts a value.

use super::syntax::Cond;
use crate::fact::{Fact, FactValue};
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;

/// How deep conditions may nest, counting each `all` / `any` / `not` and each macro reference.
pub const MAX_DEPTH: usize = 16;
/// How many conditions a rule may hold once its macros are inlined (a macro used many times in
/// many macros multiplies).
pub const MAX_NODES: usize = 10_000;

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Expr {
    All(Vec<Expr>),
    Any(Vec<Expr>),
    Not(Box<Expr>),
    Test(Fact, Test),
}

/// What a condition asks of one fact.
#[derive(Debug, Clone)]
pub enum Test {
    /// `unknown: true` holds when the fact is unknown, `unknown: false` when it is known.
    Unknown(bool),
    Eq(Literal),
    Ne(Literal),
    /// `in`, and `in_list` with the named list inlined.
    In(Vec<Literal>),
    Compare(Comparison, f64),
    Matches(Regex),
    AnyMatches(Regex),
    Contains(Literal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
}

/// A value written in a rule, typed as facts are: numbers compare by value (`2` equals `2.0`),
/// everything else exactly. A literal of no fact type (null, an object, a list that is not all
/// text) equals no fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Number(f64),
    Text(String),
    Texts(Vec<String>),
    Never,
}

impl Literal {
    pub fn of(v: &Value) -> Literal {
        match v {
            Value::Bool(b) => Literal::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Literal::Never, Literal::Number),
            Value::String(s) => Literal::Text(s.clone()),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()
                .map_or(Literal::Never, Literal::Texts),
            Value::Null | Value::Object(_) => Literal::Never,
        }
    }

    /// Whether a known fact value equals this literal.
    pub fn equals(&self, v: &FactValue) -> bool {
        match (v, self) {
            (FactValue::Bool(a), Literal::Bool(b)) => a == b,
            (FactValue::Int(n), Literal::Number(x)) => *n as f64 == *x,
            (FactValue::Text(a), Literal::Text(b)) => a == b,
            (FactValue::List(a), Literal::Texts(b)) => a == b,
            _ => false,
        }
    }
}

/// One piece of a message template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Fact(Fact),
    Target,
    Tool,
    Seq,
}

/// The placeholders a message may use besides facts.
pub const PLACEHOLDERS: [&str; 3] = ["target", "tool", "seq"];

/// `{name}` placeholders of a message template, in order (the lint and the compiler read a
/// template the same way: a `{` without a later `}` is text).
pub fn placeholders(msg: &str) -> Vec<String> {
    template_pieces(msg)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) => Some(name.to_string()),
            Piece::Text(_) => None,
        })
        .collect()
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn template_pieces(msg: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = msg;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        out.push(Piece::Text(&rest[..i]));
        out.push(Piece::Placeholder(&rest[i + 1..i + j]));
        rest = &rest[i + j + 1..];
    }
    out.push(Piece::Text(rest));
    out
}

/// A message template; `None` when it names a placeholder that is neither a fact nor one of
/// [`PLACEHOLDERS`] (the lint reports it first).
pub fn template(msg: &str) -> Option<Vec<Part>> {
    template_pieces(msg)
        .into_iter()
        .filter(|p| !matches!(p, Piece::Text("")))
        .map(|p| match p {
            Piece::Text(t) => Some(Part::Text(t.to_string())),
            Piece::Placeholder("target") => Some(Part::Target),
            Piece::Placeholder("tool") => Some(Part::Tool),
            Piece::Placeholder("seq") => Some(Part::Seq),
            Piece::Placeholder(name) => Fact::from_name(name).map(Part::Fact),
        })
        .collect()
}

/// Why a condition did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// A macro that refers back to itself (the names, from the first to the repeated one).
    MacroCycle(Vec<String>),
    TooDeep,
    TooLarge,
    /// Something the lints report with a position (unknown fact, list or macro; a condition
    /// of no form or several; a regex that does not compile).
    Unchecked,
}

/// What compiling a condition can refer to: the named lists and macros visible to its file.
pub struct Names<'a> {
    pub lists: &'a [&'a BTreeMap<String, Vec<Value>>],
    pub macros: &'a [&'a BTreeMap<String, Cond>],
}

impl Names<'_> {
    fn list(&self, name: &str) -> Option<&Vec<Value>> {
        self.lists.iter().find_map(|l| l.get(name))
    }
    fn macro_(&self, name: &str) -> Option<&Cond> {
        self.macros.iter().find_map(|m| m.get(name))
    }
}

/// Compile a checked condition.
pub fn compile(c: &Cond, names: &Names<'_>) -> Result<Expr, CompileError> {
    compile_in(c, names, Vec::new())
}

/// Compile the body of macro `name` (a cycle through it starts at it).
pub fn compile_macro(name: &str, body: &Cond, names: &Names<'_>) -> Result<Expr, CompileError> {
    compile_in(body, names, vec![name.to_string()])
}

fn compile_in(c: &Cond, names: &Names<'_>, stack: Vec<String>) -> Result<Expr, CompileError> {
    let mut nodes = 0;
    Compiler {
        names,
        stack,
        nodes: &mut nodes,
    }
    .expr(c, 0)
}

struct Compiler<'n, 'a> {
    names: &'n Names<'a>,
    /// Macros being inlined, outermost first.
    stack: Vec<String>,
    nodes: &'n mut usize,
}

impl Compiler<'_, '_> {
    fn expr(&mut self, c: &Cond, depth: usize) -> Result<Expr, CompileError> {
        if depth > MAX_DEPTH {
            return Err(CompileError::TooDeep);
        }
        *self.nodes += 1;
        if *self.nodes > MAX_NODES {
            return Err(CompileError::TooLarge);
        }
        let list = |me: &mut Self, items: &[Cond]| -> Result<Vec<Expr>, CompileError> {
            items.iter().map(|i| me.expr(i, depth + 1)).collect()
        };
        if let Some(items) = &c.all {
            return Ok(Expr::All(list(self, items)?));
        }
        if let Some(items) = &c.any {
            return Ok(Expr::Any(list(self, items)?));
        }
        if let Some(n) = &c.not {
            return Ok(Expr::Not(Box::new(self.expr(n, depth + 1)?)));
        }
        if let Some(m) = &c.macro_ {
            if let Some(at) = self.stack.iter().position(|s| s == m) {
                let mut cycle = self.stack[at..].to_vec();
                cycle.push(m.clone());
                return Err(CompileError::MacroCycle(cycle));
            }
            let body = self.names.macro_(m).ok_or(CompileError::Unchecked)?;
            self.stack.push(m.clone());
            let e = self.expr(body, depth + 1);
            self.stack.pop();
            return e;
        }
        let fact = c
            .fact
            .as_deref()
            .and_then(Fact::from_name)
            .ok_or(CompileError::Unchecked)?;
        let number = |x: Option<f64>, op| x.map(|b| Test::Compare(op, b));
        let regex = || c.regex.clone().ok_or(CompileError::Unchecked);
        let test = if let Some(want) = c.unknown {
            Test::Unknown(want)
        } else if let Some(v) = &c.eq {
            Test::Eq(Literal::of(v))
        } else if let Some(v) = &c.ne {
            Test::Ne(Literal::of(v))
        } else if let Some(items) = &c.in_ {
            Test::In(items.iter().map(Literal::of).collect())
        } else if let Some(name) = &c.in_list {
            let items = self.names.list(name).ok_or(CompileError::Unchecked)?;
            Test::In(items.iter().map(Literal::of).collect())
        } else if let Some(t) = number(c.gt, Comparison::Gt)
            .or_else(|| number(c.ge, Comparison::Ge))
            .or_else(|| number(c.lt, Comparison::Lt))
            .or_else(|| number(c.le, Comparison::Le))
        {
            t
        } else if c.matches.is_some() {
            Test::Matches(regex()?)
        } else if c.any_matches.is_some() {
            Test::AnyMatches(regex()?)
        } else if let Some(v) = &c.contains {
            Test::Contains(Literal::of(v))
        } else {
            return Err(CompileError::Unchecked);
        };
        Ok(Expr::Test(fact, test))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(yaml: &str) -> Cond {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn literals_are_typed_like_facts() {
        use serde_json::json;
        assert!(Literal::of(&json!(2)).equals(&FactValue::Int(2)));
        assert!(Literal::of(&json!(2.0)).equals(&FactValue::Int(2)));
        assert!(!Literal::of(&json!("2")).equals(&FactValue::Int(2)));
        assert!(!Literal::of(&json!(1)).equals(&FactValue::Bool(true)));
        assert!(
            Literal::of(&json!(["a", "b"])).equals(&FactValue::List(vec!["a".into(), "b".into()]))
        );
        assert!(!Literal::of(&json!(["a", 1])).equals(&FactValue::List(vec!["a".into()])));
        assert!(Literal::of(&json!([])).equals(&FactValue::List(Vec::new())));
        assert_eq!(Literal::of(&json!(null)), Literal::Never);
    }

    #[test]
    fn templates_split_into_text_and_placeholders() {
        assert_eq!(
            template("{kind} x{replicas_before} at {seq}").unwrap(),
            vec![
                Part::Fact(Fact::Kind),
                Part::Text(" x".into()),
                Part::Fact(Fact::ReplicasBefore),
                Part::Text(" at ".into()),
                Part::Seq
            ]
        );
        assert_eq!(
            template("no {close"),
            Some(vec![Part::Text("no {close".into())])
        );
        assert_eq!(template("{nope}"), None);
        assert_eq!(placeholders("a {b} {c"), ["b"]);
    }

    #[test]
    fn macros_inline_and_cycles_are_errors() {
        let macros: BTreeMap<String, Cond> = [
            ("pod".to_string(), cond("{fact: kind, eq: Pod}")),
            ("a".to_string(), cond("{not: {macro: b}}")),
            ("b".to_string(), cond("{any: [{macro: pod}, {macro: a}]}")),
        ]
        .into_iter()
        .collect();
        let lists = BTreeMap::new();
        let names = Names {
            lists: &[&lists],
            macros: &[&macros],
        };
        let e = compile(&cond("{all: [{macro: pod}]}"), &names).unwrap();
        assert!(matches!(&e, Expr::All(v) if matches!(v[0], Expr::Test(Fact::Kind, Test::Eq(_)))));
        assert_eq!(
            compile(&cond("{macro: a}"), &names).unwrap_err(),
            CompileError::MacroCycle(vec!["a".into(), "b".into(), "a".into()])
        );
        let mut deep = "{fact: kind, eq: Pod}".to_string();
        for _ in 0..=MAX_DEPTH {
            deep = format!("{{not: {deep}}}");
        }
        assert_eq!(
            compile(&cond(&deep), &names).unwrap_err(),
            CompileError::TooDeep
        );
    }

    #[test]
    fn macros_that_multiply_are_bounded() {
        // m0 uses m1 ten times, m1 uses m2 ten times...: 10^5 conditions once inlined.
        let mut macros = BTreeMap::new();
        for i in 0..5 {
            let body = format!(
                "{{any: [{}]}}",
                vec![format!("{{macro: m{}}}", i + 1); 10].join(", ")
            );
            macros.insert(format!("m{i}"), cond(&body));
        }
        macros.insert("m5".to_string(), cond("{fact: kind, eq: Pod}"));
        let lists = BTreeMap::new();
        let names = Names {
            lists: &[&lists],
            macros: &[&macros],
        };
        assert_eq!(
            compile(&cond("{macro: m0}"), &names).unwrap_err(),
            CompileError::TooLarge
        );
        assert!(compile(&cond("{macro: m3}"), &names).is_ok());
    }
}
