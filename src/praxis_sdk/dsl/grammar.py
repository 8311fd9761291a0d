"""The two lark LALR grammars of the DSL (INTERFACES 6).

`SCRIPT_GRAMMAR` is the block structure: its terminals are whole statements, one per
line, produced by `lexer.py` (a CALL line with its arguments is one CALL token), so a
10,000-line script is 10,000 tokens for the LALR parser. `CONDITION_GRAMMAR` is the
expression after IF, with lark's own contextual lexer.
"""

SCRIPT_GRAMMAR = r"""
%declare CALL PARALLEL SEQUENCE IF ELSE END END_PARALLEL END_SEQUENCE END_IF

script: _item*
_item: call | parallel | sequence | if_

call: CALL
parallel: PARALLEL _item* (END | END_PARALLEL)
sequence: SEQUENCE _item* (END | END_SEQUENCE)
if_: IF then (ELSE orelse)? (END | END_IF)
then: _item*
orelse: _item*
"""

CONDITION_GRAMMAR = r"""
?start: expr

?expr: and_
     | and_ (OR and_)+ -> or_
?and_: not_
     | not_ (AND not_)+ -> and_
?not_: NOT not_ -> negate
     | compare
?compare: atom
        | atom COMPOP atom -> compare
?atom: CWORD -> word
     | DQSTRING -> dq
     | SQSTRING -> sq
     | "(" expr ")"

AND.2: /and(?![^\s#"'()<>=!])/i
OR.2: /or(?![^\s#"'()<>=!])/i
NOT.2: /not(?![^\s#"'()<>=!])/i
CWORD: /[^\s"'#()<>=!]+/
COMPOP: /==|!=|<=|>=|<|>/
DQSTRING: /"(?:[^"\\\n]|\\[^\n])*"/
SQSTRING: /'(?:[^'\\\n]|\\[^\n])*'/
COMMENT: /#[^\n]*/
%ignore /[^\S\n]+/
%ignore COMMENT
"""

# Human names for terminals in "expected ..." lists.
TERMINAL_NAMES = {
    "CALL": "CALL", "PARALLEL": "PARALLEL", "SEQUENCE": "SEQUENCE", "IF": "IF",
    "ELSE": "ELSE", "END": "END", "END_PARALLEL": "END_PARALLEL",
    "END_SEQUENCE": "END_SEQUENCE", "END_IF": "END_IF",
    "AND": "and", "OR": "or", "NOT": "not", "CWORD": "a value", "COMPOP": "a comparison",
    "DQSTRING": "a quoted string", "SQSTRING": "a quoted string", "LPAR": "(", "RPAR": ")",
    "$END": "end of line",
}
