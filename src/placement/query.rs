//! The ECS *cluster query language* (ECS-MODEL rule P7).
//!
//! This module owns parsing and evaluation of the expressions used by
//! `memberOf` placement constraints, as described in "Cluster query language"
//! in the Amazon ECS developer guide. It depends on nothing else in the crate:
//! callers describe a container instance through the [`QueryTarget`] trait.
//!
//! # Grammar
//!
//! ```text
//! query     = or_expr ;
//! or_expr   = and_expr { ( "||" | "or" ) and_expr } ;
//! and_expr  = unary { ( "&&" | "and" ) unary } ;
//! unary     = ( "!" | "not" ) unary | primary ;
//! primary   = "(" or_expr ")" | predicate ;
//! predicate = subject ( exist_op | cmp_op value | list_op list ) ;
//! subject   = "attribute:" name | "ec2InstanceId" | "runningTasksCount"
//!           | "task:group" | "registeredAt" | "agentConnected" | "agentVersion" ;
//! name      = name_char { name_char } ;
//! name_char = ASCII letter | digit | "." | "-" | "_" | "/" ;
//! exist_op  = "exists" | "!exists" ;
//! cmp_op    = "==" | "!=" | ">" | ">=" | "<" | "<=" | "=~" | "!~" ;
//! list_op   = "in" | "!in" ;
//! list      = "[" value { "," value } "]" ;
//! value     = bare | "'" { char - "'" } "'" | '"' { char - '"' } '"' ;
//! bare      = run of chars other than whitespace "," "[" "]" "(" ")",
//!             not starting with "&&" or "||" ;
//! ```
//!
//! Precedence, tightest first: `!`/`not`, then `&&`/`and`, then `||`/`or`;
//! the binary combinators are left-associative (stored n-ary, which is
//! equivalent and keeps the tree shallow). The keywords `and`, `or`, `not`
//! and the word operators `exists`, `in` are case-insensitive; subject names
//! are case-sensitive. Quoted strings have no escape sequences: use the other
//! quote character to embed one. Nesting of parentheses and negations is
//! limited to [`MAX_DEPTH`] levels.
//!
//! # Semantics
//!
//! * `==`/`!=` compare strings exactly. `>`, `>=`, `<`, `<=` compare
//!   numerically when both sides parse as finite `f64`, else
//!   lexicographically.
//! * `=~`/`!~` must match the *whole* value: patterns are compiled once, at
//!   parse time, as `^(?:pattern)$`.
//! * An absent attribute makes `!exists`, `!=`, `!in` and `!~` true and every
//!   other operator false.
//! * `runningTasksCount` takes integer arguments; `registeredAt` takes
//!   `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[Z]` (UTC) and compares epoch
//!   seconds; `agentConnected` takes `true`/`false`. These are checked at
//!   parse time, as are operators that make no sense for a subject (ordering
//!   on `task:group`/`agentConnected`, regexes on the numeric, date and
//!   boolean subjects).
//! * `task:group` holds when *any* task on the instance has a group
//!   satisfying the positive operator (`exists`: the instance has a task).
//!   The negated operators are the complement: `!= g` means no task of group
//!   `g`, `!in`/`!~` no task whose group is listed/matches, `!exists` no tasks.
//! * `exists` is always true (and `!exists` false) for the built-in subjects
//!   other than `task:group`.

use std::cmp::Ordering;
use std::fmt;

pub use crate::sim::calendar::parse_utc_datetime;
use regex::Regex;

/// Maximum nesting of parentheses and negations accepted by [`Query::parse`].
pub const MAX_DEPTH: usize = 64;

const OPERATORS: &str = "==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~";
const SUBJECTS: &str = "`attribute:<name>`, `ec2InstanceId`, `runningTasksCount`, \
                        `task:group`, `registeredAt`, `agentConnected`, `agentVersion`";

/// A parse error, located at a 1-based character column of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based character (not byte) column of the offending token; one past
    /// the last character when the input ended too early.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for QueryError {}

/// The container instance a query is evaluated against.
pub trait QueryTarget {
    /// Value of attribute `name` on the instance (built-ins like `ecs.availability-zone` and custom ones), None if the instance lacks it.
    fn attribute(&self, name: &str) -> Option<&str>;
    /// EC2 instance id, e.g. "i-0000000000000007".
    fn ec2_instance_id(&self) -> &str;
    /// Number of tasks in RUNNING state on the instance.
    fn running_tasks_count(&self) -> u32;
    /// Calls `f` for the task group of each task on the instance (a group may repeat); stops early and returns true as soon as `f` returns true.
    fn any_task_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool;
    /// Registration time, seconds since the Unix epoch (UTC).
    fn registered_at_epoch_s(&self) -> i64;
    /// Whether the container agent is connected.
    fn agent_connected(&self) -> bool;
    /// Container agent version, e.g. "1.20.3".
    fn agent_version(&self) -> &str;
}

/// A parsed cluster query expression.
#[derive(Clone)]
pub struct Query {
    source: String,
    expr: Expr,
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Query").field(&self.source).finish()
    }
}

impl Query {
    /// Parses `src`, compiling regexes and converting dates and integers.
    pub fn parse(src: &str) -> Result<Query, QueryError> {
        if src.trim().is_empty() {
            return Err(error(0, "empty expression".into()));
        }
        let mut parser = Parser {
            lx: Lexer::new(src),
            depth: 0,
        };
        let expr = parser.parse_or(None)?;
        let lx = &mut parser.lx;
        let tok = lx.connective();
        match tok.kind {
            Kind::Eof => Ok(Query {
                source: src.to_string(),
                expr,
            }),
            Kind::RParen => Err(error(tok.start, "unexpected `)`".into())),
            _ => {
                let rest = lx.text(tok.start, lx.chars.len());
                Err(error(
                    tok.start,
                    format!("trailing input `{}`", rest.trim_end()),
                ))
            }
        }
    }

    /// Whether the instance described by `target` satisfies the expression.
    pub fn eval(&self, target: &dyn QueryTarget) -> bool {
        self.expr.eval(target)
    }

    /// The expression text this query was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the expression uses only `attribute:` subjects, so it can be decided from an instance's static attributes alone.
    pub fn is_static(&self) -> bool {
        let mut all = true;
        self.expr
            .for_each_pred(&mut |p| all &= matches!(p.subject, Subject::Attribute(_)));
        all
    }

    /// True when the expression reads the instance's tasks
    /// (`runningTasksCount`, `task:group`): only then can its result change
    /// while an ACTIVE instance lives, since its attributes, id, registration
    /// time and agent do not.
    pub fn reads_tasks(&self) -> bool {
        let mut any = false;
        self.expr.for_each_pred(&mut |p| {
            any |= matches!(p.subject, Subject::RunningTasksCount | Subject::TaskGroup)
        });
        any
    }

    /// Names of attributes referenced (deduplicated, in first-appearance order).
    pub fn attribute_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        self.expr.for_each_pred(&mut |p| {
            if let Subject::Attribute(name) = &p.subject {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        });
        names
    }
}

// ---------------------------------------------------------------------------
// AST and evaluation
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Pred(Predicate),
}

impl Expr {
    fn eval(&self, t: &dyn QueryTarget) -> bool {
        match self {
            Expr::Or(items) => items.iter().any(|e| e.eval(t)),
            Expr::And(items) => items.iter().all(|e| e.eval(t)),
            Expr::Not(inner) => !inner.eval(t),
            Expr::Pred(p) => p.eval(t),
        }
    }

    fn for_each_pred<'a>(&'a self, f: &mut dyn FnMut(&'a Predicate)) {
        match self {
            Expr::Or(items) | Expr::And(items) => items.iter().for_each(|e| e.for_each_pred(f)),
            Expr::Not(inner) => inner.for_each_pred(f),
            Expr::Pred(p) => f(p),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Subject {
    Attribute(String),
    Ec2InstanceId,
    RunningTasksCount,
    TaskGroup,
    RegisteredAt,
    AgentConnected,
    AgentVersion,
}

#[derive(Debug, Clone)]
struct Predicate {
    subject: Subject,
    check: Check,
    /// The operator is the negated form (`!=`, `!in`, `!~`, `!exists`).
    negated: bool,
}

impl Predicate {
    fn eval(&self, t: &dyn QueryTarget) -> bool {
        let check = &self.check;
        let positive = match &self.subject {
            Subject::Attribute(name) => t
                .attribute(name)
                .is_some_and(|v| check.holds(Actual::Str(v))),
            Subject::Ec2InstanceId => check.holds(Actual::Str(t.ec2_instance_id())),
            Subject::AgentVersion => check.holds(Actual::Str(t.agent_version())),
            Subject::AgentConnected => check.holds(Actual::Str(if t.agent_connected() {
                "true"
            } else {
                "false"
            })),
            Subject::RunningTasksCount => {
                check.holds(Actual::Int(i64::from(t.running_tasks_count())))
            }
            Subject::RegisteredAt => check.holds(Actual::Int(t.registered_at_epoch_s())),
            Subject::TaskGroup => t.any_task_group(&mut |g| check.holds(Actual::Str(g))),
        };
        positive != self.negated
    }
}

/// The positive form of an operator with its (converted) argument.
#[derive(Debug, Clone)]
enum Check {
    Exists,
    Eq(Value),
    Cmp(CmpOp, Value),
    In(Vec<Value>),
    Matches(Regex),
}

impl Check {
    fn holds(&self, actual: Actual<'_>) -> bool {
        match self {
            Check::Exists => true,
            Check::Eq(v) => v.equals(actual),
            Check::Cmp(op, v) => v.compare(actual).is_some_and(|ord| op.accepts(ord)),
            Check::In(vs) => vs.iter().any(|v| v.equals(actual)),
            // Regexes are rejected at parse time for integer subjects.
            Check::Matches(re) => matches!(actual, Actual::Str(s) if re.is_match(s)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn accepts(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }
}

/// A value observed on the instance.
#[derive(Clone, Copy)]
enum Actual<'a> {
    Str(&'a str),
    Int(i64),
}

/// An argument of the expression, converted for its subject at parse time.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str { text: String, num: Option<f64> },
    Int(i64),
}

fn parse_num(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

impl Value {
    fn text(text: String) -> Value {
        let num = parse_num(&text);
        Value::Str { text, num }
    }

    fn equals(&self, actual: Actual<'_>) -> bool {
        match (actual, self) {
            (Actual::Str(a), Value::Str { text, .. }) => a == text,
            (Actual::Int(a), Value::Int(b)) => a == *b,
            _ => false,
        }
    }

    /// Ordering of `actual` relative to this value.
    fn compare(&self, actual: Actual<'_>) -> Option<Ordering> {
        match (actual, self) {
            (Actual::Str(a), Value::Str { text, num }) => match (parse_num(a), num) {
                (Some(x), Some(y)) => x.partial_cmp(y),
                _ => Some(a.cmp(text.as_str())),
            },
            (Actual::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Lexer: the parser asks for the token expected at each position ("mode").
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Exists,
    NotExists,
    In,
    NotIn,
    Match,
    NotMatch,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Exists => "exists",
            Op::NotExists => "!exists",
            Op::In => "in",
            Op::NotIn => "!in",
            Op::Match => "=~",
            Op::NotMatch => "!~",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    And,
    Or,
    Not,
    Op(Op),
    /// A subject, bare value, or unrecognised text (spanned by the token).
    Word,
    /// A quoted string's content.
    Str(String),
    Eof,
}

#[derive(Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

fn error(start: usize, message: String) -> QueryError {
    QueryError {
        column: start + 1,
        message,
    }
}

fn is_delim(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | ',')
}

fn is_subject_char(c: char) -> bool {
    !is_delim(c) && !matches!(c, '=' | '!' | '<' | '>' | '~')
}

impl Lexer {
    fn new(src: &str) -> Lexer {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn text(&self, start: usize, end: usize) -> String {
        self.chars
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    fn run_end(&self, start: usize, keep: impl Fn(char) -> bool) -> usize {
        let len = self
            .chars
            .get(start..)
            .map_or(0, |rest| rest.iter().take_while(|&&c| keep(c)).count());
        start + len
    }

    fn skip_ws(&mut self) {
        self.pos = self.run_end(self.pos, char::is_whitespace);
    }

    fn bump(&mut self, tok: &Token) {
        self.pos = tok.end;
    }

    fn tok(kind: Kind, start: usize, end: usize) -> Token {
        Token { kind, start, end }
    }

    /// "`text`" of the token-ish run at `start`, or "end of input".
    fn found(&self, start: usize) -> String {
        match self.at(start) {
            None => "end of input".into(),
            Some(c) if is_delim(c) => format!("`{c}`"),
            Some(_) => format!(
                "`{}`",
                self.text(start, self.run_end(start, |c| !is_delim(c)))
            ),
        }
    }

    fn symbol(&self, s: usize, a: char, b: char) -> bool {
        self.at(s) == Some(a) && self.at(s + 1) == Some(b)
    }

    /// Start of a term: `(`, `)`, a negation, a stray combinator or a subject.
    fn term(&mut self) -> Token {
        self.skip_ws();
        let s = self.pos;
        match self.at(s) {
            None => Self::tok(Kind::Eof, s, s),
            Some('(') => Self::tok(Kind::LParen, s, s + 1),
            Some(')') => Self::tok(Kind::RParen, s, s + 1),
            _ if self.symbol(s, '&', '&') => Self::tok(Kind::And, s, s + 2),
            _ if self.symbol(s, '|', '|') => Self::tok(Kind::Or, s, s + 2),
            Some('!') if !matches!(self.at(s + 1), Some('=' | '~')) => {
                Self::tok(Kind::Not, s, s + 1)
            }
            _ => {
                let e = self.run_end(s, is_subject_char);
                let word = self.text(s, e).to_ascii_lowercase();
                let kind = match word.as_str() {
                    "not" => Kind::Not,
                    "and" => Kind::And,
                    "or" => Kind::Or,
                    _ => Kind::Word,
                };
                Self::tok(kind, s, e)
            }
        }
    }

    /// After a complete term: `&&`/`and`, `||`/`or`, `)`, end, or anything else.
    fn connective(&mut self) -> Token {
        self.skip_ws();
        let s = self.pos;
        match self.at(s) {
            None => Self::tok(Kind::Eof, s, s),
            Some(')') => Self::tok(Kind::RParen, s, s + 1),
            _ if self.symbol(s, '&', '&') => Self::tok(Kind::And, s, s + 2),
            _ if self.symbol(s, '|', '|') => Self::tok(Kind::Or, s, s + 2),
            _ => {
                let e = self.run_end(s, |c| !is_delim(c));
                let kind = match self.text(s, e).to_ascii_lowercase().as_str() {
                    "and" => Kind::And,
                    "or" => Kind::Or,
                    _ => Kind::Word,
                };
                Self::tok(kind, s, e)
            }
        }
    }

    /// After a subject: an operator, or a `Word`/`Eof` token if there is none.
    fn operator(&mut self) -> Token {
        self.skip_ws();
        let s = self.pos;
        let two = |op| Self::tok(Kind::Op(op), s, s + 2);
        let one = |op| Self::tok(Kind::Op(op), s, s + 1);
        match (self.at(s), self.at(s + 1)) {
            (None, _) => Self::tok(Kind::Eof, s, s),
            (Some('='), Some('=')) => two(Op::Eq),
            (Some('='), Some('~')) => two(Op::Match),
            (Some('!'), Some('=')) => two(Op::Ne),
            (Some('!'), Some('~')) => two(Op::NotMatch),
            (Some('>'), Some('=')) => two(Op::Ge),
            (Some('<'), Some('=')) => two(Op::Le),
            (Some('>'), _) => one(Op::Gt),
            (Some('<'), _) => one(Op::Lt),
            (Some(first), _) => {
                let ws = s + usize::from(first == '!');
                let we = self.run_end(ws, |c| c.is_ascii_alphanumeric() || c == '_');
                let op = match (
                    first == '!',
                    self.text(ws, we).to_ascii_lowercase().as_str(),
                ) {
                    (false, "exists") => Op::Exists,
                    (true, "exists") => Op::NotExists,
                    (false, "in") => Op::In,
                    (true, "in") => Op::NotIn,
                    _ => return Self::tok(Kind::Word, s, self.run_end(s, |c| !is_delim(c))),
                };
                Self::tok(Kind::Op(op), s, we)
            }
        }
    }

    /// An argument position: quoted string, bare word, or list punctuation.
    fn value(&mut self) -> Result<Token, QueryError> {
        self.skip_ws();
        let s = self.pos;
        let punct = |kind| Ok(Self::tok(kind, s, s + 1));
        match self.at(s) {
            None => Ok(Self::tok(Kind::Eof, s, s)),
            Some('[') => punct(Kind::LBracket),
            Some(']') => punct(Kind::RBracket),
            Some(',') => punct(Kind::Comma),
            Some('(') => punct(Kind::LParen),
            Some(')') => punct(Kind::RParen),
            Some(q @ ('\'' | '"')) => {
                let close = self.run_end(s + 1, |c| c != q);
                if close >= self.chars.len() {
                    return Err(error(s, "unterminated string".into()));
                }
                Ok(Self::tok(Kind::Str(self.text(s + 1, close)), s, close + 1))
            }
            Some(_) => Ok(Self::tok(Kind::Word, s, self.run_end(s, |c| !is_delim(c)))),
        }
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

struct Parser {
    lx: Lexer,
    depth: usize,
}

impl Parser {
    /// `after` names the token preceding the expression, for error messages.
    fn parse_or(&mut self, after: Option<&str>) -> Result<Expr, QueryError> {
        let mut items = vec![self.parse_and(after)?];
        loop {
            let tok = self.lx.connective();
            if tok.kind != Kind::Or {
                break;
            }
            self.lx.bump(&tok);
            let op = self.lx.text(tok.start, tok.end);
            items.push(self.parse_and(Some(&op))?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn parse_and(&mut self, after: Option<&str>) -> Result<Expr, QueryError> {
        let mut items = vec![self.parse_unary(after)?];
        loop {
            let tok = self.lx.connective();
            if tok.kind != Kind::And {
                break;
            }
            self.lx.bump(&tok);
            let op = self.lx.text(tok.start, tok.end);
            items.push(self.parse_unary(Some(&op))?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn enter(&mut self, start: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                start,
                format!("expression nested too deeply (limit {MAX_DEPTH})"),
            ));
        }
        Ok(())
    }

    fn parse_unary(&mut self, after: Option<&str>) -> Result<Expr, QueryError> {
        let tok = self.lx.term();
        match tok.kind {
            Kind::Not => {
                self.lx.bump(&tok);
                self.enter(tok.start)?;
                let op = self.lx.text(tok.start, tok.end);
                let inner = self.parse_unary(Some(&op))?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Kind::LParen => {
                self.lx.bump(&tok);
                self.enter(tok.start)?;
                let inner = self.parse_or(Some("("))?;
                let close = self.lx.connective();
                match close.kind {
                    Kind::RParen => self.lx.bump(&close),
                    Kind::Eof => {
                        return Err(error(
                            tok.start,
                            format!("unclosed parenthesis opened at column {}", tok.start + 1),
                        ))
                    }
                    _ => {
                        return Err(error(
                            close.start,
                            format!(
                                "expected `)` to close parenthesis opened at column {}, found {}",
                                tok.start + 1,
                                self.lx.found(close.start)
                            ),
                        ))
                    }
                }
                self.depth -= 1;
                Ok(inner)
            }
            Kind::Word if tok.end > tok.start => self.parse_predicate(&tok),
            _ => {
                let after = after.map_or(String::new(), |a| format!(" after `{a}`"));
                Err(error(
                    tok.start,
                    format!(
                        "expected an expression{after}, found {}",
                        self.lx.found(tok.start)
                    ),
                ))
            }
        }
    }

    fn parse_subject(&self, name: &str, start: usize) -> Result<Subject, QueryError> {
        const PREFIX: &str = "attribute:";
        if let Some(attr) = name.strip_prefix(PREFIX) {
            let at = start + PREFIX.len();
            if attr.is_empty() {
                return Err(error(
                    at,
                    "missing attribute name after `attribute:`".into(),
                ));
            }
            let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/');
            if let Some((i, c)) = attr.chars().enumerate().find(|&(_, c)| !valid(c)) {
                return Err(error(
                    at + i,
                    format!(
                        "invalid character `{c}` in attribute name `{attr}`; \
                         expected letters, digits, `.`, `-`, `_` or `/`"
                    ),
                ));
            }
            return Ok(Subject::Attribute(attr.to_string()));
        }
        match name {
            "ec2InstanceId" => Ok(Subject::Ec2InstanceId),
            "runningTasksCount" => Ok(Subject::RunningTasksCount),
            "task:group" => Ok(Subject::TaskGroup),
            "registeredAt" => Ok(Subject::RegisteredAt),
            "agentConnected" => Ok(Subject::AgentConnected),
            "agentVersion" => Ok(Subject::AgentVersion),
            _ => Err(error(
                start,
                format!("unknown subject `{name}`; expected one of {SUBJECTS}"),
            )),
        }
    }

    fn parse_predicate(&mut self, tok: &Token) -> Result<Expr, QueryError> {
        let name = self.lx.text(tok.start, tok.end);
        let subject = self.parse_subject(&name, tok.start)?;
        self.lx.bump(tok);

        let op_tok = self.lx.operator();
        let Kind::Op(op) = op_tok.kind else {
            return Err(error(
                op_tok.start,
                format!(
                    "expected an operator ({OPERATORS}) after `{name}`, found {}",
                    self.lx.found(op_tok.start)
                ),
            ));
        };
        self.lx.bump(&op_tok);
        check_supported(&subject, op, op_tok.start, &name)?;

        let (check, negated) = match op {
            Op::Exists | Op::NotExists => (Check::Exists, op == Op::NotExists),
            Op::Eq | Op::Ne => {
                let value = self.scalar(&subject, op)?;
                (Check::Eq(value), op == Op::Ne)
            }
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                let cmp = match op {
                    Op::Gt => CmpOp::Gt,
                    Op::Ge => CmpOp::Ge,
                    Op::Lt => CmpOp::Lt,
                    _ => CmpOp::Le,
                };
                (Check::Cmp(cmp, self.scalar(&subject, op)?), false)
            }
            Op::In | Op::NotIn => (Check::In(self.list(&subject, op)?), op == Op::NotIn),
            Op::Match | Op::NotMatch => {
                let (pattern, start) = self.raw_value(op.symbol())?;
                (
                    Check::Matches(compile_regex(&pattern, start)?),
                    op == Op::NotMatch,
                )
            }
        };
        Ok(Expr::Pred(Predicate {
            subject,
            check,
            negated,
        }))
    }

    /// One argument (bare or quoted) and its start; `after` names the operator.
    fn raw_value(&mut self, after: &str) -> Result<(String, usize), QueryError> {
        let tok = self.lx.value()?;
        let text = match &tok.kind {
            Kind::Str(s) => s.clone(),
            Kind::Word => {
                let word = self.lx.text(tok.start, tok.end);
                if word.starts_with("&&") || word.starts_with("||") {
                    return Err(self.missing_value(tok.start, after));
                }
                word
            }
            _ => return Err(self.missing_value(tok.start, after)),
        };
        self.lx.bump(&tok);
        Ok((text, tok.start))
    }

    fn missing_value(&self, start: usize, after: &str) -> QueryError {
        error(
            start,
            format!(
                "expected a value after `{after}`, found {}",
                self.lx.found(start)
            ),
        )
    }

    fn scalar(&mut self, subject: &Subject, op: Op) -> Result<Value, QueryError> {
        let (text, start) = self.raw_value(op.symbol())?;
        convert(subject, text, start)
    }

    fn list(&mut self, subject: &Subject, op: Op) -> Result<Vec<Value>, QueryError> {
        let open = self.lx.value()?;
        if open.kind != Kind::LBracket {
            return Err(error(
                open.start,
                format!(
                    "expected `[` after `{}`, found {}",
                    op.symbol(),
                    self.lx.found(open.start)
                ),
            ));
        }
        self.lx.bump(&open);
        let unclosed = || {
            error(
                open.start,
                format!("unclosed `[` opened at column {}", open.start + 1),
            )
        };
        let mut values = Vec::new();
        let mut after = "[";
        loop {
            let item = self.lx.value()?;
            match item.kind {
                Kind::Eof => return Err(unclosed()),
                Kind::RBracket if values.is_empty() => {
                    return Err(error(
                        item.start,
                        format!("empty list after `{}`", op.symbol()),
                    ))
                }
                _ => {}
            }
            let (text, start) = self.raw_value(after)?;
            values.push(convert(subject, text, start)?);
            let sep = self.lx.value()?;
            self.lx.bump(&sep);
            match sep.kind {
                Kind::Comma => after = ",",
                Kind::RBracket => return Ok(values),
                Kind::Eof => return Err(unclosed()),
                _ => {
                    return Err(error(
                        sep.start,
                        format!(
                            "expected `,` or `]` in list, found {}",
                            self.lx.found(sep.start)
                        ),
                    ))
                }
            }
        }
    }
}

fn check_supported(subject: &Subject, op: Op, start: usize, name: &str) -> Result<(), QueryError> {
    let unsupported = match op {
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            matches!(subject, Subject::TaskGroup | Subject::AgentConnected)
        }
        Op::Match | Op::NotMatch => matches!(
            subject,
            Subject::RunningTasksCount | Subject::RegisteredAt | Subject::AgentConnected
        ),
        _ => false,
    };
    if unsupported {
        return Err(error(
            start,
            format!("operator `{}` is not supported for `{name}`", op.symbol()),
        ));
    }
    Ok(())
}

/// Converts an argument to the type its subject compares against.
fn convert(subject: &Subject, text: String, start: usize) -> Result<Value, QueryError> {
    match subject {
        Subject::RunningTasksCount => text.parse::<i64>().map(Value::Int).map_err(|_| {
            error(
                start,
                format!("`runningTasksCount` requires an integer, found `{text}`"),
            )
        }),
        Subject::RegisteredAt => parse_utc_datetime(&text).map(Value::Int).ok_or_else(|| {
            error(
                start,
                format!(
                    "invalid date `{text}` for `registeredAt`; \
                     expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z]"
                ),
            )
        }),
        Subject::AgentConnected => match text.to_ascii_lowercase().as_str() {
            b @ ("true" | "false") => Ok(Value::text(b.to_string())),
            _ => Err(error(
                start,
                format!("`agentConnected` requires `true` or `false`, found `{text}`"),
            )),
        },
        _ => Ok(Value::text(text)),
    }
}

/// Compiles `pattern` to match whole values only.
fn compile_regex(pattern: &str, start: usize) -> Result<Regex, QueryError> {
    // Validate the bare pattern first so that e.g. `a)|(b` cannot escape the
    // anchoring group once wrapped.
    Regex::new(pattern)
        .and_then(|_| Regex::new(&format!("^(?:{pattern})$")))
        .map_err(|e| {
            let text = e.to_string();
            let reason = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .map(str::to_string)
                .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "));
            error(
                start,
                format!("invalid regular expression `{pattern}`: {reason}"),
            )
        })
}

#[cfg(test)]
mod tests {
    // ECS-MODEL P7: cluster query language used by `memberOf` constraints.
    use super::*;

    #[derive(Clone)]
    struct Fake {
        attrs: Vec<(&'static str, &'static str)>,
        id: &'static str,
        groups: Vec<&'static str>,
        registered: i64,
        connected: bool,
        version: &'static str,
    }

    impl Default for Fake {
        fn default() -> Fake {
            Fake {
                attrs: vec![
                    ("ecs.instance-type", "t2.small"),
                    ("ecs.availability-zone", "us-east-1a"),
                    ("stack", "prod"),
                    ("cores", "16"),
                ],
                id: "i-abcd1234",
                groups: vec!["service:production", "family:web"],
                registered: parse_utc_datetime("2018-06-01").unwrap(),
                connected: true,
                version: "1.20.3",
            }
        }
    }

    impl QueryTarget for Fake {
        fn attribute(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
        fn ec2_instance_id(&self) -> &str {
            self.id
        }
        fn running_tasks_count(&self) -> u32 {
            self.groups.len() as u32
        }
        fn any_task_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
            self.groups.iter().any(|g| f(g))
        }
        fn registered_at_epoch_s(&self) -> i64 {
            self.registered
        }
        fn agent_connected(&self) -> bool {
            self.connected
        }
        fn agent_version(&self) -> &str {
            self.version
        }
    }

    fn with_attrs(attrs: &[(&'static str, &'static str)]) -> Fake {
        Fake {
            attrs: attrs.to_vec(),
            ..Fake::default()
        }
    }

    fn eval(src: &str, target: &Fake) -> bool {
        Query::parse(src)
            .unwrap_or_else(|e| panic!("{src:?} failed: {e}"))
            .eval(target)
    }

    /// Fully parenthesised rendering of the AST.
    fn render(src: &str) -> String {
        fn go(e: &Expr) -> String {
            let join = |items: &[Expr], sep: &str| {
                let parts: Vec<String> = items.iter().map(go).collect();
                format!("({})", parts.join(sep))
            };
            match e {
                Expr::Or(items) => join(items, " || "),
                Expr::And(items) => join(items, " && "),
                Expr::Not(inner) => format!("!{}", go(inner)),
                Expr::Pred(p) => match &p.subject {
                    Subject::Attribute(n) => n.clone(),
                    other => format!("{other:?}"),
                },
            }
        }
        go(&Query::parse(src).unwrap().expr)
    }

    fn err(src: &str) -> QueryError {
        match Query::parse(src) {
            Ok(q) => panic!("{src:?} parsed unexpectedly: {q:?}"),
            Err(e) => e,
        }
    }

    // ECS-MODEL P7
    #[test]
    fn aws_examples_parse_and_evaluate() {
        let t = Fake::default();
        let cases = [
            ("attribute:ecs.instance-type == t2.small", true),
            ("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", true),
            ("attribute:ecs.instance-type =~ g2.*", false),
            ("task:group == service:production", true),
            ("not(task:group == database)", true),
            ("registeredAt < 2018-06-20", true),
            (
                "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d",
                true,
            ),
            ("runningTasksCount == 0", false),
            ("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", true),
            ("attribute:stack exists", true),
            ("attribute:stack !exists", false),
            ("(attribute:a == 1 || attribute:b == 2) && !(attribute:c == 3)", false),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src, &t), want, "{src}");
        }
        let idle = Fake {
            groups: vec![],
            ..with_attrs(&[("a", "1"), ("c", "4"), ("ecs.instance-type", "g2.2xlarge")])
        };
        assert!(eval("runningTasksCount == 0", &idle));
        assert!(eval("attribute:ecs.instance-type =~ g2.*", &idle));
        assert!(eval(
            "(attribute:a == 1 || attribute:b == 2) && !(attribute:c == 3)",
            &idle
        ));
        let c3 = with_attrs(&[("b", "2"), ("c", "3")]);
        assert!(!eval(
            "(attribute:a == 1 || attribute:b == 2) && !(attribute:c == 3)",
            &c3
        ));
    }

    // ECS-MODEL P7
    #[test]
    fn precedence_and_associativity() {
        assert_eq!(
            render("attribute:a exists || attribute:b exists && attribute:c exists"),
            "(a || (b && c))"
        );
        assert_eq!(
            render("not attribute:a exists and attribute:b exists"),
            "(!a && b)"
        );
        assert_eq!(
            render("attribute:a exists && attribute:b exists && attribute:c exists || attribute:d exists"),
            "((a && b && c) || d)"
        );
        assert_eq!(
            render("(attribute:a exists || attribute:b exists) && attribute:c exists"),
            "((a || b) && c)"
        );
        assert_eq!(render("!!attribute:a exists"), "!!a");
        // Truth table check: a=true, b=false/true, c=false.
        let a_only = with_attrs(&[("a", "x")]);
        assert!(eval(
            "attribute:a exists || attribute:b exists && attribute:c exists",
            &a_only
        ));
        assert!(!eval(
            "(attribute:a exists || attribute:b exists) && attribute:c exists",
            &a_only
        ));
        assert!(!eval(
            "not attribute:a exists and attribute:b exists",
            &a_only
        ));
        assert!(!eval(
            "not (attribute:a exists and attribute:b exists) and attribute:z exists",
            &a_only
        ));
        assert!(eval(
            "not (attribute:a exists and attribute:b exists)",
            &a_only
        ));
    }

    // ECS-MODEL P7
    #[test]
    fn keywords_are_case_insensitive() {
        let t = Fake::default();
        assert!(eval(
            "attribute:stack exists AND attribute:cores exists",
            &t
        ));
        assert!(eval("attribute:nope exists Or attribute:stack exists", &t));
        assert!(eval("NOT attribute:nope exists", &t));
        assert!(eval("Not(attribute:nope exists)", &t));
        assert!(eval(
            "(attribute:nope exists)or(attribute:stack EXISTS)",
            &t
        ));
        assert!(eval("attribute:stack IN [prod]", &t));
        assert_eq!(
            render("attribute:a exists aNd attribute:b exists"),
            "(a && b)"
        );
        // Subjects stay case-sensitive.
        assert!(err("EC2InstanceId exists")
            .message
            .contains("unknown subject `EC2InstanceId`"));
    }

    // ECS-MODEL P7
    #[test]
    fn attribute_operators() {
        let t = with_attrs(&[("n", "10"), ("s", "beta"), ("v", "9x")]);
        let cases = [
            ("attribute:s == beta", true),
            ("attribute:s == Beta", false),
            ("attribute:s != beta", false),
            ("attribute:s != gamma", true),
            ("attribute:n == 10.0", false), // string equality
            ("attribute:n > 9", true),      // numeric, not lexicographic
            ("attribute:n >= 10", true),
            ("attribute:n < 9.5", false),
            ("attribute:n <= 10", true),
            ("attribute:s > alpha", true), // lexicographic
            ("attribute:s < gamma", true),
            ("attribute:s >= beta", true),
            ("attribute:s <= a", false),
            ("attribute:v > 10", true), // "9x" is not numeric: lexicographic
            ("attribute:s in [alpha, beta]", true),
            ("attribute:s in [alpha]", false),
            ("attribute:s !in [alpha]", true),
            ("attribute:s !in [alpha, \"beta\"]", false),
            ("attribute:s =~ b.*", true),
            ("attribute:s =~ bet", false), // whole-value match
            ("attribute:s =~ 'x|beta'", true),
            ("attribute:s !~ b.*", false),
            ("attribute:s !~ g.*", true),
            ("attribute:s exists", true),
            ("attribute:s !exists", false),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src, &t), want, "{src}");
        }
    }

    // ECS-MODEL P7
    #[test]
    fn absent_attribute_rules() {
        let t = with_attrs(&[]);
        let cases = [
            ("attribute:x exists", false),
            ("attribute:x !exists", true),
            ("attribute:x == a", false),
            ("attribute:x != a", true),
            ("attribute:x > 1", false),
            ("attribute:x >= 1", false),
            ("attribute:x < 1", false),
            ("attribute:x <= 1", false),
            ("attribute:x in [a]", false),
            ("attribute:x !in [a]", true),
            ("attribute:x =~ .*", false),
            ("attribute:x !~ .*", true),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src, &t), want, "{src}");
        }
    }

    // ECS-MODEL P7
    #[test]
    fn builtin_subject_operators() {
        let t = Fake::default(); // two tasks, connected, agent 1.20.3
        let cases = [
            ("ec2InstanceId == i-abcd1234", true),
            ("ec2InstanceId != i-abcd1234", false),
            ("ec2InstanceId =~ 'i-[0-9a-f]{8}'", true),
            ("ec2InstanceId !~ i-.*", false),
            ("ec2InstanceId > i-abcd0000", true),
            ("ec2InstanceId !in [\"i-1\"]", true),
            ("ec2InstanceId exists", true),
            ("ec2InstanceId !exists", false),
            ("runningTasksCount == 2", true),
            ("runningTasksCount != 2", false),
            ("runningTasksCount > 1", true),
            ("runningTasksCount >= 3", false),
            ("runningTasksCount < 10", true),
            ("runningTasksCount <= 2", true),
            ("runningTasksCount in [0, 1, 2]", true),
            ("runningTasksCount !in [0, 1]", true),
            ("runningTasksCount exists", true),
            ("agentConnected == true", true),
            ("agentConnected == FALSE", false),
            ("agentConnected != 'false'", true),
            ("agentConnected in [false]", false),
            ("agentConnected !exists", false),
            ("agentVersion == 1.20.3", true),
            ("agentVersion =~ '1\\.20\\..*'", true),
            ("agentVersion >= 1.2", true),
            ("agentVersion < 1.3.0", true),
            ("agentVersion exists", true),
            ("registeredAt exists", true),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src, &t), want, "{src}");
        }
        let down = Fake {
            connected: false,
            ..Fake::default()
        };
        assert!(eval("agentConnected == false", &down));
        assert!(!eval("agentConnected == true", &down));
    }

    // ECS-MODEL P7
    #[test]
    fn task_group_positive_and_negated_forms() {
        let busy = Fake::default(); // service:production, family:web
        let idle = Fake {
            groups: vec![],
            ..Fake::default()
        };
        let cases = [
            ("task:group == family:web", true, false),
            ("task:group != family:web", false, true),
            ("task:group != database", true, true),
            ("task:group in [database, family:web]", true, false),
            ("task:group !in [database, family:web]", false, true),
            ("task:group !in [database]", true, true),
            ("task:group =~ 'service:.*'", true, false),
            ("task:group =~ service", false, false),
            ("task:group !~ 'service:.*'", false, true),
            ("task:group !~ 'db.*'", true, true),
            ("task:group exists", true, false),
            ("task:group !exists", false, true),
            ("not(task:group == database)", true, true),
        ];
        for (src, on_busy, on_idle) in cases {
            assert_eq!(eval(src, &busy), on_busy, "{src} on busy");
            assert_eq!(eval(src, &idle), on_idle, "{src} on idle");
        }
    }

    // ECS-MODEL P7
    #[test]
    fn registered_at_dates() {
        let before = Fake {
            registered: 1_529_452_799, // 2018-06-19T23:59:59Z
            ..Fake::default()
        };
        let at = Fake {
            registered: 1_529_452_800, // 2018-06-20T00:00:00Z
            ..Fake::default()
        };
        assert!(eval("registeredAt < 2018-06-20", &before));
        assert!(!eval("registeredAt < 2018-06-20", &at));
        assert!(eval("registeredAt >= 2018-06-20", &at));
        assert!(eval("registeredAt == 2018-06-20T00:00:00Z", &at));
        assert!(eval("registeredAt != '2018-06-20T00:00:00'", &before));
        assert!(eval("registeredAt > 2018-06-19T23:59:58", &before));
        assert!(eval("registeredAt <= 2018-06-19T23:59:59", &before));
        assert!(eval("registeredAt in [2018-06-20, 2019-01-01]", &at));
        assert!(eval("registeredAt !in [2018-06-20]", &before));
    }

    #[test]
    fn date_parser() {
        assert_eq!(parse_utc_datetime("1970-01-01"), Some(0));
        assert_eq!(parse_utc_datetime("1969-12-31"), Some(-86_400));
        assert_eq!(parse_utc_datetime("2018-06-20"), Some(1_529_452_800));
        assert_eq!(
            parse_utc_datetime("2018-06-19T23:59:59Z"),
            Some(1_529_452_799)
        );
        assert_eq!(
            parse_utc_datetime("2018-06-19T23:59:59"),
            Some(1_529_452_799)
        );
        assert_eq!(parse_utc_datetime("2000-02-29"), Some(951_782_400)); // 400-year leap
        assert_eq!(parse_utc_datetime("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_utc_datetime("9999-12-31"), Some(253_402_214_400));
        assert_eq!(
            parse_utc_datetime("2024-03-01").map(|s| s - 86_400),
            parse_utc_datetime("2024-02-29")
        );
        for bad in [
            "1900-02-29", // century, not leap
            "2023-02-29",
            "2018-13-01",
            "2018-00-10",
            "2018-04-31",
            "2018-06-00",
            "2018-6-20",
            "2018-06-20Z",
            "2018-06-20T24:00:00",
            "2018-06-20T12:60:00",
            "2018-06-20T12:00:60",
            "2018-06-20 12:00:00",
            "2018-06-20T12:00",
            "2018-06-20T12:00:00+01",
            "+018-06-20",
            "2018-06-2é",
            "",
        ] {
            assert_eq!(parse_utc_datetime(bad), None, "{bad}");
        }
    }

    // ECS-MODEL P7
    #[test]
    fn quoted_values_and_bare_words() {
        let t = with_attrs(&[("name", "a b, [c]"), ("q", "it's"), ("e", "")]);
        assert!(eval("attribute:name == 'a b, [c]'", &t));
        assert!(eval("attribute:name in [\"x\", 'a b, [c]']", &t));
        assert!(eval("attribute:q == \"it's\"", &t));
        assert!(eval("attribute:e == ''", &t));
        assert!(eval("attribute:e==''", &t));
        assert!(eval("(attribute:e exists)&&(attribute:q=~it.*)", &t));
        // A bare word may contain colons and other punctuation.
        let q = Query::parse("task:group == service:production").unwrap();
        assert!(matches!(&q.expr, Expr::Pred(p)
            if p.check.holds(Actual::Str("service:production"))));
    }

    // ECS-MODEL P7
    #[test]
    fn query_accessors() {
        let src = "attribute:b exists && (attribute:a == 1 || not attribute:b in [x]) || attribute:c.d/e_f-g != 2";
        let q = Query::parse(src).unwrap();
        assert_eq!(q.source(), src);
        assert!(q.is_static());
        assert_eq!(q.attribute_names(), vec!["b", "a", "c.d/e_f-g"]);
        assert_eq!(format!("{q:?}"), format!("Query({src:?})"));
        let copy = q.clone();
        assert!(copy.eval(&with_attrs(&[("c.d/e_f-g", "3")])));

        let dynamic = Query::parse("attribute:a exists && task:group exists").unwrap();
        assert!(!dynamic.is_static());
        assert_eq!(dynamic.attribute_names(), vec!["a"]);
        assert!(!Query::parse("runningTasksCount > 1").unwrap().is_static());
    }

    // ECS-MODEL P7
    #[test]
    fn errors_report_column_and_message() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty expression"),
            ("   ", 1, "empty expression"),
            (
                "attribute:foo",
                14,
                "expected an operator (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~) after `attribute:foo`, found end of input",
            ),
            ("attribute:foo = 1", 15, "expected an operator"),
            ("attribute:foo ==", 17, "expected a value after `==`, found end of input"),
            ("attribute:foo == && attribute:b exists", 18, "expected a value after `==`, found `&&`"),
            ("attribute:foo =~ [", 18, "expected a value after `=~`, found `[`"),
            ("attribute:foo =~ '['", 18, "invalid regular expression `[`: unclosed character class"),
            ("attribute:foo =~ 'a)|(b'", 18, "invalid regular expression `a)|(b`"),
            ("attribute:foo == 'abc", 18, "unterminated string"),
            ("attribute:foo in ['a, b]", 19, "unterminated string"),
            ("((attribute:a exists)", 1, "unclosed parenthesis opened at column 1"),
            ("x == 1 || (attribute:a exists", 1, "unknown subject `x`"),
            ("ec2InstanceId == 1 || (attribute:a exists", 23, "unclosed parenthesis opened at column 23"),
            ("(attribute:a exists attribute:b exists)", 21, "expected `)` to close parenthesis opened at column 1, found `attribute:b`"),
            ("attribute:a exists)", 19, "unexpected `)`"),
            ("()", 2, "expected an expression after `(`, found `)`"),
            ("runningTasksCount > 1.5", 21, "`runningTasksCount` requires an integer, found `1.5`"),
            ("runningTasksCount in [1, two]", 26, "requires an integer, found `two`"),
            ("registeredAt < 2018-02-30", 16, "invalid date `2018-02-30`"),
            ("registeredAt < '2018-06-20 10:00'", 16, "invalid date"),
            ("foo == 1", 1, "unknown subject `foo`; expected one of `attribute:<name>`, `ec2InstanceId`"),
            ("not task:Group exists", 5, "unknown subject `task:Group`"),
            ("attribute:foo in a, b", 18, "expected `[` after `in`, found `a`"),
            ("attribute:foo !in", 18, "expected `[` after `!in`, found end of input"),
            ("attribute:foo in []", 19, "empty list after `in`"),
            ("attribute:foo in [a,]", 21, "expected a value after `,`, found `]`"),
            ("attribute:foo in [a b]", 21, "expected `,` or `]` in list, found `b`"),
            ("attribute:foo in [a, b", 18, "unclosed `[` opened at column 18"),
            ("attribute:foo == 1 xyz", 20, "trailing input `xyz`"),
            ("attribute:foo exists bar baz ", 22, "trailing input `bar baz`"),
            ("attribute:foo exists &&", 24, "expected an expression after `&&`, found end of input"),
            ("attribute:foo exists or", 24, "expected an expression after `or`, found end of input"),
            ("&& attribute:foo exists", 1, "expected an expression, found `&&`"),
            ("not", 4, "expected an expression after `not`, found end of input"),
            ("attribute: == 1", 11, "missing attribute name"),
            ("attribute:a:b == 1", 12, "invalid character `:` in attribute name `a:b`"),
            ("task:group < x", 12, "operator `<` is not supported for `task:group`"),
            ("registeredAt =~ 2018.*", 14, "operator `=~` is not supported for `registeredAt`"),
            ("agentConnected == yes", 19, "requires `true` or `false`, found `yes`"),
            ("attribute:é == 1", 11, "invalid character `é`"),
            ("attribute:foo == (", 18, "expected a value after `==`, found `(`"),
            ("== 1", 1, "expected an expression, found `==`"),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|&(src, column, fragment)| {
                let e = err(src);
                (e.column != column || !e.message.contains(fragment))
                    .then(|| format!("{src:?} (want column {column}): {e}"))
            })
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn error_display_and_trait() {
        let e = err("attribute:a exists)");
        assert_eq!(e.to_string(), "column 19: unexpected `)`");
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("column 19"));
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let deep = format!(
            "{}attribute:a exists{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(err(&deep).message.contains("nested too deeply"));
        let nots = format!("{}attribute:a exists", "! ".repeat(10_000));
        assert!(err(&nots).message.contains("nested too deeply"));
        let ok = format!(
            "{}attribute:a exists{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(Query::parse(&ok).is_ok());
        // Long flat chains stay shallow and evaluate fine.
        let chain = vec!["attribute:a exists"; 50_000].join(" && ");
        assert!(eval(&chain, &with_attrs(&[("a", "1")])));
    }

    /// Deterministic fuzzing: random token soup never panics, and errors
    /// always point inside the input (or just past its end).
    #[test]
    fn random_inputs_never_panic() {
        const PIECES: &[&str] = &[
            "attribute:a",
            "task:group",
            "runningTasksCount",
            "registeredAt",
            "agentConnected",
            " ",
            "==",
            "!=",
            "<",
            ">=",
            "=~",
            "!~",
            "exists",
            "!exists",
            "in",
            "!in",
            "(",
            ")",
            "[",
            "]",
            ",",
            "'",
            "\"",
            "&&",
            "||",
            "and",
            "not",
            "!",
            "x",
            "1",
            "2018-06-20",
            "true",
            "[a-",
            "é",
            "\t",
            ":",
            "*",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let target = Fake::default();
        let mut parsed = 0;
        for _ in 0..20_000 {
            let len = 1 + next(10);
            let src: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            match Query::parse(&src) {
                Ok(q) => {
                    parsed += 1;
                    q.eval(&target);
                }
                Err(e) => {
                    let max = src.chars().count() + 1;
                    assert!((1..=max).contains(&e.column), "{src:?}: {e}");
                }
            }
        }
        assert!(parsed > 0);
    }
}
