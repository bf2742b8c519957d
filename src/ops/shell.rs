//! A POSIX-shell lexer for the command lines agents send through shell tools.
//!
//! It splits a line into simple commands (with `&&`, `||`, `;`, `|`, `&`, newlines), handles
//! quoting, escapes, line continuations, comments, `NAME=value` assignments (and later `$NAME`
//! uses), redirections, heredocs (`<<EOF`, `<<-'EOF'`) and here-strings. It never runs anything:
//! a word built from `$(...)`, backticks or an unknown variable is marked unresolved, and the
//! command lines inside substitutions are kept (`Word::runs`, `Command::runs`) so that what they
//! run is read too. A variable assigned twice stays unresolved. (The command lines inside an
//! unquoted heredoc's body are not read: a known gap.)

use std::collections::HashMap;
use std::fmt;

/// Programs that run another program with their remaining words (after their own options).
pub const WRAPPERS: &[&str] = &[
    "sudo", "env", "timeout", "time", "nohup", "command", "exec", "nice", "watch", "xargs",
    "stdbuf", "busybox", "chroot", "nsenter", "setsid", "ionice", "flock",
];

/// Shell keywords that come before a command of a compound command (`if kubectl ...; then
/// kubectl ...; fi`, `while read p; do kubectl ...; done`): the command is what follows.
pub const LEADING_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time",
];

/// Shell keywords that end a compound command; alone, they run nothing.
pub const CLOSING_KEYWORDS: &[&str] = &["done", "fi", "esac", "}"];

/// The words of a simple command without the keywords of the compound command around it
/// (`do kubectl delete $p` → `kubectl delete $p`); empty for a closing keyword alone or a `for
/// NAME in ...` head, which run nothing themselves.
pub fn command_words(words: &[Word]) -> &[Word] {
    let mut w = words;
    while let Some(first) = w.first() {
        if first.unresolved.is_none() && LEADING_KEYWORDS.contains(&first.text.as_str()) {
            w = &w[1..];
        } else {
            break;
        }
    }
    match w {
        [only] if CLOSING_KEYWORDS.contains(&only.text.as_str()) => &[],
        [head, _, kw, ..] if head.text == "for" && kw.text == "in" => &[],
        _ => w,
    }
}

/// A word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Why the word's value cannot be known offline (command substitution, unknown variable).
    pub unresolved: Option<String>,
    /// The command line inside `$(...)` when the whole word is one command substitution (the
    /// list of `for p in $(kubectl get pods -o name)`).
    pub substitution: Option<String>,
    /// The command lines of every command substitution (`$(...)`, backticks) and process
    /// substitution (`<(...)`) in the word: they run too (`echo $(kubectl delete pod x)`).
    pub runs: Vec<String>,
}

impl Word {
    fn plain(text: &str) -> Word {
        Word {
            text: text.to_string(),
            unresolved: None,
            substitution: None,
            runs: Vec::new(),
        }
    }
}

/// Where a command's standard input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stdin {
    /// A heredoc or here-string body.
    Text(String),
    /// `< FILE`: content not recorded.
    File(String),
    /// The output of the previous command of the pipeline (index into `Script::commands`).
    Pipe(usize),
}

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joint {
    First,
    /// `;`, `&` or a newline.
    Seq,
    And,
    Or,
    Pipe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub joint: Joint,
    pub assignments: Vec<(String, String)>,
    pub words: Vec<Word>,
    pub stdin: Option<Stdin>,
    /// The command lines of the substitutions in its words and assignments
    /// (`X=$(kubectl delete pod x)` runs the kubectl).
    pub runs: Vec<String>,
    /// Where `>` (or `&>`) sends its standard output, which the recorded result then lacks.
    pub stdout_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub message: String,
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, ShellError> {
    Err(ShellError {
        message: message.into(),
    })
}

/// Lexer tokens.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(Word),
    Op(&'static str),
    Heredoc {
        strip_tabs: bool,
        delimiter: String,
    },
    HereString(Word),
    RedirectIn(Word),
    /// `>`, `2>&1`, ...: whether it takes standard output away (not `2>`), its target, and
    /// the substitutions in it.
    RedirectOut {
        stdout: bool,
        target: String,
        runs: Vec<String>,
    },
    Newline,
}

struct Lexer<'a> {
    s: &'a [char],
    i: usize,
    vars: &'a HashMap<String, String>,
    /// Command lines of the substitutions lexed so far (taken by the word they are in).
    runs: Vec<String>,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    /// Read one word (quotes removed); stops at whitespace or an operator character.
    fn word(&mut self) -> Result<Word, ShellError> {
        let start = self.i;
        let first_run = self.runs.len();
        let mut text = String::new();
        let mut unresolved: Option<String> = None;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\\' => {
                    match self.peek(1) {
                        Some('\n') => {}
                        Some(n) => text.push(n),
                        None => {}
                    }
                    self.i += 2;
                }
                '\'' => {
                    self.i += 1;
                    let start = self.i;
                    while self.peek(0).is_some_and(|c| c != '\'') {
                        self.i += 1;
                    }
                    if self.peek(0).is_none() {
                        return err("unterminated single quote");
                    }
                    text.extend(&self.s[start..self.i]);
                    self.i += 1;
                }
                '"' => {
                    self.i += 1;
                    loop {
                        match self.peek(0) {
                            None => return err("unterminated double quote"),
                            Some('"') => {
                                self.i += 1;
                                break;
                            }
                            Some('\\') => {
                                match self.peek(1) {
                                    Some(n @ ('"' | '\\' | '$' | '`')) => text.push(n),
                                    Some('\n') => {}
                                    Some(n) => {
                                        text.push('\\');
                                        text.push(n);
                                    }
                                    None => return err("unterminated double quote"),
                                }
                                self.i += 2;
                            }
                            Some('$') => self.dollar(&mut text, &mut unresolved)?,
                            Some('`') => {
                                self.backtick()?;
                                unresolved.get_or_insert("command substitution".into());
                            }
                            Some(c) => {
                                text.push(c);
                                self.i += 1;
                            }
                        }
                    }
                }
                '$' => self.dollar(&mut text, &mut unresolved)?,
                '`' => {
                    self.backtick()?;
                    unresolved.get_or_insert("command substitution".into());
                }
                c => {
                    text.push(c);
                    self.i += 1;
                }
            }
        }
        // `$(...)` and nothing else: keep the inner command line.
        let end = self.i.min(self.s.len());
        let whole = &self.s[start.min(end)..end];
        let substitution = match whole {
            ['$', '(', inner @ .., ')'] if text.is_empty() => {
                Some(inner.iter().collect::<String>())
                    .filter(|inner| !inner.starts_with('(') && !inner.contains("$("))
            }
            _ => None,
        };
        let runs = self.runs.split_off(first_run.min(self.runs.len()));
        Ok(Word {
            text,
            unresolved,
            substitution,
            runs,
        })
    }

    /// The text between two positions (bounds clamped), for the command line of a substitution.
    fn between(&self, from: usize, to: usize) -> String {
        let to = to.min(self.s.len());
        self.s[from.min(to)..to].iter().collect()
    }

    fn backtick(&mut self) -> Result<(), ShellError> {
        self.i += 1;
        let open = self.i;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                '\\' => self.i += 1,
                '`' => {
                    let inner = self.between(open, self.i - 1);
                    self.runs.push(inner);
                    return Ok(());
                }
                _ => {}
            }
        }
        err("unterminated backquote")
    }

    /// `$NAME`, `${NAME}`, `$(...)`, `$((...))`, `$'...'`, or a lone `$`.
    fn dollar(
        &mut self,
        text: &mut String,
        unresolved: &mut Option<String>,
    ) -> Result<(), ShellError> {
        match self.peek(1) {
            Some('\'') => {
                // ANSI-C quoting: backslash escapes are interpreted.
                self.i += 2;
                loop {
                    match self.peek(0) {
                        None => return err("unterminated $'...'"),
                        Some('\'') => {
                            self.i += 1;
                            break;
                        }
                        Some('\\') => {
                            let e = self.peek(1).ok_or_else(|| ShellError {
                                message: "unterminated $'...'".into(),
                            })?;
                            text.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '0' => '\0',
                                other => other,
                            });
                            self.i += 2;
                        }
                        Some(c) => {
                            text.push(c);
                            self.i += 1;
                        }
                    }
                }
            }
            Some('(') => {
                self.i += 1;
                let open = self.i;
                self.skip_parens()?;
                // `$((...))` is arithmetic, not a command.
                let inner = self.between(open + 1, self.i - 1);
                if !inner.starts_with('(') {
                    self.runs.push(inner);
                }
                unresolved.get_or_insert("command substitution".into());
            }
            Some('{') => {
                let start = self.i + 2;
                let mut j = start;
                while self.s.get(j).is_some_and(|c| *c != '}') {
                    j += 1;
                }
                if j >= self.s.len() {
                    return err("unterminated ${");
                }
                let name: String = self.s[start..j].iter().collect();
                self.i = j + 1;
                self.variable(&name, text, unresolved);
            }
            Some(c) if c == '_' || c.is_ascii_alphanumeric() || "?#@*!$-".contains(c) => {
                let start = self.i + 1;
                let mut j = start;
                if c.is_ascii_alphabetic() || c == '_' {
                    while self
                        .s
                        .get(j)
                        .is_some_and(|c| *c == '_' || c.is_ascii_alphanumeric())
                    {
                        j += 1;
                    }
                } else {
                    j += 1;
                }
                let name: String = self.s[start..j].iter().collect();
                self.i = j;
                self.variable(&name, text, unresolved);
            }
            _ => {
                text.push('$');
                self.i += 1;
            }
        }
        Ok(())
    }

    fn variable(&self, name: &str, text: &mut String, unresolved: &mut Option<String>) {
        match self.vars.get(name) {
            Some(v) => text.push_str(v),
            None => {
                text.push_str(&format!("${{{name}}}"));
                unresolved.get_or_insert(format!("shell variable ${name}"));
            }
        }
    }

    /// Skip a balanced `( ... )` starting at the current `(`, minding quotes.
    fn skip_parens(&mut self) -> Result<(), ShellError> {
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                '\\' => self.i += 1,
                '\'' => {
                    while self.peek(0).is_some_and(|c| c != '\'') {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                '"' => {
                    while let Some(c) = self.peek(0) {
                        self.i += 1;
                        match c {
                            '\\' => self.i += 1,
                            '"' => break,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        err("unbalanced parenthesis in $(...)")
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' => self.i += 1,
                '\\' if self.peek(1) == Some('\n') => self.i += 2,
                _ => break,
            }
        }
    }

    fn tokens(&mut self) -> Result<Vec<Token>, ShellError> {
        let mut out = Vec::new();
        let mut pending_heredocs: Vec<usize> = Vec::new();
        // A file-descriptor number glued to the next redirection (`2>`).
        let mut fd: Option<String> = None;
        loop {
            self.skip_blanks();
            let Some(c) = self.peek(0) else { break };
            // The character after `c`: operators are one or two characters.
            let next = self.peek(1);
            match c {
                // `#` inside a word never gets here (`word` keeps it), so this starts a comment.
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.i += 1;
                    out.push(Token::Newline);
                    // Heredoc bodies follow the line that introduced them.
                    for idx in std::mem::take(&mut pending_heredocs) {
                        let body = self.heredoc_body(&out[idx])?;
                        out[idx] = Token::HereString(Word::plain(&body));
                    }
                }
                '&' if next == Some('&') => {
                    self.i += 2;
                    out.push(Token::Op("&&"));
                }
                '&' if next == Some('>') => {
                    self.i += 2;
                    self.skip_blanks();
                    let w = self.word()?;
                    fd = None;
                    out.push(Token::RedirectOut {
                        stdout: true,
                        target: w.text,
                        runs: w.runs,
                    });
                }
                '|' if next == Some('|') => {
                    self.i += 2;
                    out.push(Token::Op("||"));
                }
                '|' => {
                    self.i += if next == Some('&') { 2 } else { 1 };
                    out.push(Token::Op("|"));
                }
                ';' | '&' => {
                    self.i += if c == ';' && next == Some(';') { 2 } else { 1 };
                    out.push(Token::Op(";"));
                }
                '(' | ')' => {
                    // Subshells and groups: their commands run like any other.
                    self.i += 1;
                    out.push(Token::Op(";"));
                }
                '<' if next == Some('<') => {
                    self.i += 2;
                    if self.peek(0) == Some('<') {
                        self.i += 1;
                        self.skip_blanks();
                        let w = self.word()?;
                        out.push(Token::HereString(Word {
                            text: format!("{}\n", w.text),
                            unresolved: w.unresolved,
                            substitution: None,
                            runs: w.runs,
                        }));
                    } else {
                        let strip_tabs = self.peek(0) == Some('-');
                        if strip_tabs {
                            self.i += 1;
                        }
                        self.skip_blanks();
                        let w = self.word()?;
                        if w.text.is_empty() {
                            return err("heredoc without a delimiter");
                        }
                        pending_heredocs.push(out.len());
                        out.push(Token::Heredoc {
                            strip_tabs,
                            delimiter: w.text,
                        });
                    }
                }
                '<' if next == Some('(') => {
                    self.i += 1;
                    let open = self.i;
                    self.skip_parens()?;
                    out.push(Token::Word(Word {
                        text: "/dev/fd/63".into(),
                        unresolved: Some("process substitution".into()),
                        substitution: None,
                        runs: vec![self.between(open + 1, self.i - 1)],
                    }));
                }
                '<' => {
                    self.i += 1;
                    self.skip_blanks();
                    let w = self.word()?;
                    out.push(Token::RedirectIn(w));
                }
                '>' => {
                    self.i += 1;
                    while matches!(self.peek(0), Some('>' | '&' | '|')) {
                        self.i += 1;
                    }
                    self.skip_blanks();
                    let w = self.word()?;
                    let stdout = fd.take().is_none_or(|n| n == "1");
                    out.push(Token::RedirectOut {
                        stdout,
                        target: w.text,
                        runs: w.runs,
                    });
                }
                _ => {
                    let start = self.i;
                    let w = self.word()?;
                    // `2>file`, `2>&1`: a file-descriptor number glued to a redirection.
                    if self.peek(0) == Some('>')
                        && w.unresolved.is_none()
                        && !w.text.is_empty()
                        && w.text.chars().all(|c| c.is_ascii_digit())
                        && self.i - start == w.text.chars().count()
                    {
                        fd = Some(w.text);
                        continue;
                    }
                    out.push(Token::Word(w));
                }
            }
        }
        // Heredocs on the last line without a newline after them: the body is empty.
        for idx in pending_heredocs {
            out[idx] = Token::HereString(Word::plain(""));
        }
        Ok(out)
    }

    fn heredoc_body(&mut self, token: &Token) -> Result<String, ShellError> {
        let Token::Heredoc {
            strip_tabs,
            delimiter,
        } = token
        else {
            return err("internal: not a heredoc");
        };
        let mut body = String::new();
        loop {
            if self.i >= self.s.len() {
                // bash accepts a heredoc ended by the end of input (with a warning).
                return Ok(body);
            }
            let start = self.i;
            while self.peek(0).is_some_and(|c| c != '\n') {
                self.i += 1;
            }
            let mut line: String = self.s[start..self.i].iter().collect();
            if self.peek(0) == Some('\n') {
                self.i += 1;
            }
            if *strip_tabs {
                line = line.trim_start_matches('\t').to_string();
            }
            if line == *delimiter {
                return Ok(body);
            }
            body.push_str(&line);
            body.push('\n');
        }
    }
}

/// Split a command line into simple commands.
pub fn parse(line: &str) -> Result<Script, ShellError> {
    let chars: Vec<char> = line.chars().collect();
    let mut vars: HashMap<String, String> = HashMap::new();
    // Variables must be known while lexing; lex statement by statement so `NS=x; kubectl -n $NS`
    // resolves. A first pass finds plain top-level assignments.
    prescan_assignments(line, &mut vars);
    let mut lexer = Lexer {
        s: &chars,
        i: 0,
        vars: &vars,
        runs: Vec::new(),
    };
    let tokens = lexer.tokens()?;
    let mut script = Script::default();
    let mut current = Command {
        joint: Joint::First,
        assignments: Vec::new(),
        words: Vec::new(),
        stdin: None,
        runs: Vec::new(),
        stdout_to: None,
    };
    let mut next_joint = Joint::First;
    let flush = |script: &mut Script, current: &mut Command, next: Joint| {
        if !current.words.is_empty() || !current.assignments.is_empty() || !current.runs.is_empty()
        {
            let joint = current.joint;
            let mut done = std::mem::replace(
                current,
                Command {
                    joint: next,
                    assignments: Vec::new(),
                    words: Vec::new(),
                    stdin: None,
                    runs: Vec::new(),
                    stdout_to: None,
                },
            );
            if joint == Joint::Pipe && done.stdin.is_none() && !script.commands.is_empty() {
                done.stdin = Some(Stdin::Pipe(script.commands.len() - 1));
            }
            script.commands.push(done);
        } else {
            current.joint = if script.commands.is_empty() {
                Joint::First
            } else {
                next
            };
        }
    };
    for t in tokens {
        match t {
            Token::Word(w) => {
                current.runs.extend(w.runs.iter().cloned());
                if current.words.is_empty()
                    && let Some((name, value)) = assignment(&w.text)
                {
                    current.assignments.push((name, value));
                    continue;
                }
                current.words.push(w);
            }
            Token::Op(op) => {
                next_joint = match op {
                    "&&" => Joint::And,
                    "||" => Joint::Or,
                    "|" => Joint::Pipe,
                    _ => Joint::Seq,
                };
                flush(&mut script, &mut current, next_joint);
            }
            Token::Newline => {
                next_joint = Joint::Seq;
                flush(&mut script, &mut current, next_joint);
            }
            Token::HereString(w) => {
                current.runs.extend(w.runs);
                current.stdin = Some(Stdin::Text(w.text));
            }
            Token::Heredoc { .. } => current.stdin = Some(Stdin::Text(String::new())),
            Token::RedirectIn(w) => {
                current.runs.extend(w.runs);
                current.stdin = Some(Stdin::File(w.text));
            }
            Token::RedirectOut {
                stdout,
                target,
                runs,
            } => {
                current.runs.extend(runs);
                if stdout {
                    current.stdout_to = Some(target);
                }
            }
        }
    }
    flush(&mut script, &mut current, next_joint);
    Ok(script)
}

/// `NAME=value` (a shell assignment word).
fn assignment(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=')?;
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    valid.then(|| (name.to_string(), value.to_string()))
}

/// Collect `NAME=value` statements (alone on their statement, or `export NAME=value`) so that
/// later `$NAME` can be resolved. Values that themselves need expansion are not recorded.
fn prescan_assignments(line: &str, vars: &mut HashMap<String, String>) {
    let empty = HashMap::new();
    // A variable assigned twice has the value of whichever assignment ran last before each use,
    // which a prescan cannot tell: it stays unresolved.
    let mut twice: Vec<String> = Vec::new();
    for stmt in line.split(['\n', ';']) {
        let stmt = stmt.trim();
        let stmt = stmt.strip_prefix("export ").unwrap_or(stmt).trim();
        let chars: Vec<char> = stmt.chars().collect();
        let mut lx = Lexer {
            s: &chars,
            i: 0,
            vars: &empty,
            runs: Vec::new(),
        };
        if let Ok(w) = lx.word()
            && w.unresolved.is_none()
            && lx.i == chars.len()
            && let Some((n, v)) = assignment(&w.text)
            && vars.insert(n.clone(), v).is_some()
        {
            twice.push(n);
        }
    }
    for n in twice {
        vars.remove(&n);
    }
}

/// Split a string into words as a shell would (for argv templates); `None` on a syntax error.
pub fn split_words(text: &str) -> Result<Vec<Word>, ShellError> {
    let chars: Vec<char> = text.chars().collect();
    let empty = HashMap::new();
    let mut lx = Lexer {
        s: &chars,
        i: 0,
        vars: &empty,
        runs: Vec::new(),
    };
    let mut out = Vec::new();
    loop {
        lx.skip_blanks();
        while lx.peek(0).is_some_and(|c| c == '\n') {
            lx.i += 1;
            lx.skip_blanks();
        }
        if lx.peek(0).is_none() {
            break;
        }
        let before = lx.i;
        let w = lx.word()?;
        if lx.i == before {
            // An operator character in a plain argument list: keep it as a word.
            out.push(Word::plain(&lx.s[lx.i].to_string()));
            lx.i += 1;
            continue;
        }
        out.push(w);
    }
    Ok(out)
}

/// Quote a word so that [`parse`] reads it back unchanged (used by tests and `explain`).
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        parse(line)
            .unwrap()
            .commands
            .iter()
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    #[test]
    fn quotes_escapes_and_operators() {
        assert_eq!(
            words(r#"kubectl get po -n "my ns" && echo 'a b'\ c || true; ls|wc -l"#),
            vec![
                vec!["kubectl", "get", "po", "-n", "my ns"],
                vec!["echo", "a b c"],
                vec!["true"],
                vec!["ls"],
                vec!["wc", "-l"],
            ]
        );
        let s = parse("a && b || c | d; e").unwrap();
        let joints: Vec<Joint> = s.commands.iter().map(|c| c.joint).collect();
        assert_eq!(
            joints,
            [Joint::First, Joint::And, Joint::Or, Joint::Pipe, Joint::Seq]
        );
        assert_eq!(s.commands[3].stdin, Some(Stdin::Pipe(2)));
    }

    #[test]
    fn heredocs_and_here_strings() {
        let s = parse("kubectl apply -f - <<EOF\napiVersion: v1\nkind: Namespace\nEOF\necho done")
            .unwrap();
        assert_eq!(s.commands.len(), 2);
        assert_eq!(
            s.commands[0].stdin,
            Some(Stdin::Text("apiVersion: v1\nkind: Namespace\n".into()))
        );
        let s = parse("cat <<-'X' | kubectl apply -f -\n\tkind: Pod\n\tX\n").unwrap();
        assert_eq!(s.commands[0].stdin, Some(Stdin::Text("kind: Pod\n".into())));
        assert_eq!(s.commands[1].stdin, Some(Stdin::Pipe(0)));
        let s = parse("kubectl apply -f - <<< '{\"kind\": \"Pod\"}'").unwrap();
        assert_eq!(
            s.commands[0].stdin,
            Some(Stdin::Text("{\"kind\": \"Pod\"}\n".into()))
        );
    }

    #[test]
    fn substitutions_are_unresolved_variables_resolved_when_known() {
        let s = parse("NS=prod; kubectl delete po $(kubectl get po -o name) -n $NS --context=$CTX")
            .unwrap();
        let k = &s.commands[1];
        assert_eq!(
            k.words[3].unresolved.as_deref(),
            Some("command substitution")
        );
        assert_eq!(k.words[5].text, "prod");
        assert!(k.words[5].unresolved.is_none());
        assert!(k.words[6].unresolved.as_deref().unwrap().contains("$CTX"));
    }

    #[test]
    fn comments_continuations_redirections_and_assignments() {
        assert_eq!(
            words("FOO=1 kubectl get \\\n  pods 2>&1 >/dev/null # trailing\n# whole line"),
            vec![vec!["kubectl", "get", "pods"]]
        );
        let s = parse("KUBECONFIG=/x kubectl get po < in.yaml").unwrap();
        assert_eq!(
            s.commands[0].assignments,
            vec![("KUBECONFIG".into(), "/x".into())]
        );
        assert_eq!(s.commands[0].stdin, Some(Stdin::File("in.yaml".into())));
        assert_eq!(words("echo a#b"), vec![vec!["echo", "a#b"]]);
        assert_eq!(words(r"echo $'a\nb\'c'"), vec![vec!["echo", "a\nb'c"]]);
    }

    #[test]
    fn errors_are_reported_not_panics() {
        for bad in [
            "echo 'x", "echo \"x", "echo $(x", "echo `x", "cat <<", "echo ${x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Quoting any words and lexing the line gives the words back.
        #[test]
        fn quote_then_parse_round_trips(ws in proptest::collection::vec("[ -~\\t\\n]{0,12}", 1..6)) {
            let line = ws.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
            let got = parse(&format!("cmd {line}")).unwrap();
            let texts: Vec<String> = got.commands[0].words[1..].iter().map(|w| w.text.clone()).collect();
            proptest::prop_assert_eq!(texts, ws);
        }

        /// The lexer never panics, whatever the input.
        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = parse(&s);
            let _ = split_words(&s);
        }
    }
}
