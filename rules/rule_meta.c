/* rule_meta.c: SpamAssassin meta expressions: parse to RPN, resolve and
 * order across the set, evaluate per message.
 *
 * DESIGN. rule_meta_add() runs a shunting-yard parser over a tokenizer:
 * an explicit operator stack instead of recursion, so input depth costs
 * heap bytes, never C stack. Its output is one RPN program per meta,
 * appended to the set's instruction array; names are kept as offsets
 * into a string pool until rule_meta_compile() replaces them by value
 * indices (unknown rules become an instruction that pushes 0). While
 * parsing we track how deep the evaluation stack gets, so evaluation
 * can use a fixed local array. Compilation finds strongly connected
 * components with an iterative Tarjan walk over meta -> used meta
 * edges; Tarjan emits a component only after every component it
 * reaches, which is exactly evaluation order, and a component of more
 * than one meta (or a meta using itself) is a cycle. */
#include "rules/rule_meta.h"

#include "lib/alloc.h"
#include "lib/error.h"

enum rule_meta_opcode {
	RULE_META_OP_LOAD,     /* push values[argument] */
	RULE_META_OP_CONSTANT, /* push constants[argument] */
	RULE_META_OP_UNKNOWN,  /* push 0: an unknown rule, named by argument */
	RULE_META_OP_NOT,
	RULE_META_OP_NEGATE,
	RULE_META_OP_MULTIPLY,
	RULE_META_OP_DIVIDE,
	RULE_META_OP_ADD,
	RULE_META_OP_SUBTRACT,
	RULE_META_OP_LESS,
	RULE_META_OP_LESS_EQUAL,
	RULE_META_OP_GREATER,
	RULE_META_OP_GREATER_EQUAL,
	RULE_META_OP_EQUAL,
	RULE_META_OP_NOT_EQUAL,
	RULE_META_OP_AND,
	RULE_META_OP_OR,
	/* Parser-only markers, never emitted. */
	RULE_META_OP_PLUS,  /* unary plus: a no-op */
	RULE_META_OP_PAREN, /* an open parenthesis on the operator stack */
	RULE_META_OP_NONE,
};

/* Binding strength of each operator (higher binds tighter), as in
 * perlop; comparisons do not associate. */
static const uint8_t rule_meta_precedence[RULE_META_OP_NONE + 1] = {
	[RULE_META_OP_NOT] = 7,
	[RULE_META_OP_NEGATE] = 7,
	[RULE_META_OP_PLUS] = 7,
	[RULE_META_OP_MULTIPLY] = 6,
	[RULE_META_OP_DIVIDE] = 6,
	[RULE_META_OP_ADD] = 5,
	[RULE_META_OP_SUBTRACT] = 5,
	[RULE_META_OP_LESS] = 4,
	[RULE_META_OP_LESS_EQUAL] = 4,
	[RULE_META_OP_GREATER] = 4,
	[RULE_META_OP_GREATER_EQUAL] = 4,
	[RULE_META_OP_EQUAL] = 3,
	[RULE_META_OP_NOT_EQUAL] = 3,
	[RULE_META_OP_AND] = 2,
	[RULE_META_OP_OR] = 1,
};

struct rule_meta_instruction {
	uint8_t opcode;
	/* LOAD: a name's offset in the string pool until compiled, then a
	 * value index. CONSTANT: an index into the constants. UNKNOWN: the
	 * name's offset, kept for diagnostics. */
	uint32_t argument;
};

enum rule_meta_state {
	RULE_META_STATE_ENABLED,
	RULE_META_STATE_REPLACED, /* a later definition has the same name */
	RULE_META_STATE_DISABLED,
};

struct rule_meta_entry {
	char *name;
	size_t code_start, code_length;
	uint32_t value_index;
	enum rule_meta_state state;
};

struct rule_meta_set {
	struct rule_meta_limits limits;
	bool compiled; /* rule_meta_compile() was called: no more adds */
	bool failed;   /* ... and failed: only free remains */

	struct rule_meta_entry *metas;
	size_t meta_count, meta_capacity;

	struct rule_meta_instruction *code;
	size_t code_length, code_capacity;

	double *constants;
	size_t constant_count, constant_capacity;

	/* Names the programs refer to, NUL-terminated. */
	char *strings;
	size_t strings_length, strings_capacity;

	/* After compilation: metas in evaluation order, and the value
	 * indices of disabled metas, which evaluation sets to 0. */
	uint32_t *order;
	size_t order_length;
	uint32_t *zeroed;
	size_t zeroed_length;
	size_t value_count;
};

/* The offsets the pools stay below, so instruction arguments fit. */
#define RULE_META_POOL_MAX ((size_t)UINT32_MAX - 1)
#define RULE_META_NONE UINT32_MAX

struct rule_meta_set *
rule_meta_set_new(const struct rule_meta_limits *limits)
{
	struct rule_meta_set *set = alloc_new(struct rule_meta_set);

	if (limits != NULL)
		set->limits = *limits;
	if (set->limits.max_expression_length == 0)
		set->limits.max_expression_length =
		    RULE_META_DEFAULT_EXPRESSION_MAX;
	if (set->limits.max_nesting == 0)
		set->limits.max_nesting = RULE_META_DEFAULT_NESTING_MAX;
	return set;
}

void
rule_meta_set_free(struct rule_meta_set **set_p)
{
	struct rule_meta_set *set = *set_p;

	if (set == NULL)
		return;
	for (size_t i = 0; i < set->meta_count; i++)
		free(set->metas[i].name);
	free(set->metas);
	free(set->code);
	free(set->constants);
	free(set->strings);
	free(set->order);
	free(set->zeroed);
	alloc_free(set_p);
}

/* Makes room for one more element in a growable array. */
static void *
rule_meta_grow(void *array, size_t length, size_t *capacity, size_t size)
{
	if (length < *capacity)
		return array;
	*capacity = *capacity == 0 ? 16 : *capacity * 2;
	return alloc_resize(array, *capacity, size);
}

static bool
rule_meta_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static bool
rule_meta_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
rule_meta_is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
rule_meta_is_name_char(char c)
{
	return rule_meta_is_name_start(c) || rule_meta_is_digit(c);
}

/* True when name is a syntactically valid rule name. */
static bool
rule_meta_name_valid(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > RULE_META_NAME_MAX ||
	    !rule_meta_is_name_start(name[0]))
		return false;
	for (size_t i = 1; i < length; i++) {
		if (!rule_meta_is_name_char(name[i]))
			return false;
	}
	return true;
}

enum rule_meta_token_kind {
	RULE_META_TOKEN_END,
	RULE_META_TOKEN_NAME,
	RULE_META_TOKEN_NUMBER,
	RULE_META_TOKEN_OPEN,
	RULE_META_TOKEN_CLOSE,
	RULE_META_TOKEN_OPERATOR,
};

struct rule_meta_token {
	enum rule_meta_token_kind kind;
	size_t offset, length;
	/* OPERATOR: what it means between operands and before one
	 * (RULE_META_OP_NONE when it cannot stand there). */
	enum rule_meta_opcode binary, unary;
	double number;
};

struct rule_meta_operator_spelling {
	const char *text;
	enum rule_meta_opcode binary, unary;
};

/* Two-character spellings come first so they win over their prefixes;
 * unsupported ones sit between, so "**" is refused rather than read as
 * two multiplications. */
static const struct rule_meta_operator_spelling rule_meta_operators[] = {
	{ "&&", RULE_META_OP_AND, RULE_META_OP_NONE },
	{ "||", RULE_META_OP_OR, RULE_META_OP_NONE },
	{ "<=", RULE_META_OP_LESS_EQUAL, RULE_META_OP_NONE },
	{ ">=", RULE_META_OP_GREATER_EQUAL, RULE_META_OP_NONE },
	{ "==", RULE_META_OP_EQUAL, RULE_META_OP_NONE },
	{ "!=", RULE_META_OP_NOT_EQUAL, RULE_META_OP_NONE },
	/* Exponent, and increment and decrement (SpamAssassin refuses
	 * "--" and "++" too: Perl cannot apply them to a value). */
	{ "**", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "++", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "--", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "!", RULE_META_OP_NONE, RULE_META_OP_NOT },
	{ "+", RULE_META_OP_ADD, RULE_META_OP_PLUS },
	{ "-", RULE_META_OP_SUBTRACT, RULE_META_OP_NEGATE },
	{ "*", RULE_META_OP_MULTIPLY, RULE_META_OP_NONE },
	{ "/", RULE_META_OP_DIVIDE, RULE_META_OP_NONE },
	{ "<", RULE_META_OP_LESS, RULE_META_OP_NONE },
	{ ">", RULE_META_OP_GREATER, RULE_META_OP_NONE },
	/* Bitwise and, or, xor and not, modulo, assignment, the
	 * conditional and the comma. */
	{ "&", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "|", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "^", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "~", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "%", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "=", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ "?", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ ":", RULE_META_OP_NONE, RULE_META_OP_NONE },
	{ ",", RULE_META_OP_NONE, RULE_META_OP_NONE },
};

/* Reads a number literal at text[*position]: digits with an optional
 * fraction, or a fraction alone. Computed by hand rather than strtod(),
 * which would follow the locale's decimal point. */
static int
rule_meta_read_number(const char *text, size_t length, size_t *position,
    struct rule_meta_token *token_r, const char **error_r)
{
	size_t start = *position, i = start, fraction_digits = 0;
	double value = 0, scale = 1;

	while (i < length && rule_meta_is_digit(text[i]))
		value = value * 10 + (text[i++] - '0');
	if (i < length && text[i] == '.') {
		i++;
		while (i < length && rule_meta_is_digit(text[i])) {
			value = value * 10 + (text[i++] - '0');
			fraction_digits++;
		}
	}
	if (i < length && (rule_meta_is_name_char(text[i]) || text[i] == '.')) {
		*error_r = error_set("malformed number at offset %zu", start);
		return -1;
	}
	if (i - start > RULE_META_NUMBER_MAX) {
		*error_r = error_set("number longer than %d bytes at offset "
		    "%zu", RULE_META_NUMBER_MAX, start);
		return -1;
	}
	while (fraction_digits-- > 0)
		scale *= 10;
	token_r->kind = RULE_META_TOKEN_NUMBER;
	token_r->length = i - start;
	token_r->number = value / scale;
	*position = i;
	return 0;
}

/* Reads the token at text[*position] into *token_r and advances past it
 * (RULE_META_TOKEN_END at the end). Returns 0, or -1 with *error_r for
 * a character or operator outside the language. */
static int
rule_meta_next_token(const char *text, size_t length, size_t *position,
    struct rule_meta_token *token_r, const char **error_r)
{
	size_t i = *position;
	char c;

	while (i < length && rule_meta_is_space(text[i]))
		i++;
	memset(token_r, 0, sizeof(*token_r));
	token_r->offset = i;
	*position = i;
	if (i == length) {
		token_r->kind = RULE_META_TOKEN_END;
		return 0;
	}
	c = text[i];
	if (rule_meta_is_name_start(c)) {
		while (i < length && rule_meta_is_name_char(text[i]))
			i++;
		if (i - *position > RULE_META_NAME_MAX) {
			*error_r = error_set("rule name longer than %d bytes "
			    "at offset %zu", RULE_META_NAME_MAX, *position);
			return -1;
		}
		token_r->kind = RULE_META_TOKEN_NAME;
		token_r->length = i - *position;
		*position = i;
		return 0;
	}
	if (rule_meta_is_digit(c) ||
	    (c == '.' && i + 1 < length && rule_meta_is_digit(text[i + 1])))
		return rule_meta_read_number(text, length, position, token_r,
		    error_r);
	if (c == '(' || c == ')') {
		token_r->kind = c == '(' ? RULE_META_TOKEN_OPEN :
		    RULE_META_TOKEN_CLOSE;
		token_r->length = 1;
		*position = i + 1;
		return 0;
	}
	for (size_t k = 0; k < ARRAY_LENGTH(rule_meta_operators); k++) {
		const struct rule_meta_operator_spelling *op =
		    &rule_meta_operators[k];
		size_t op_length = strlen(op->text);

		if (length - i >= op_length &&
		    memcmp(text + i, op->text, op_length) == 0) {
			if (op->binary == RULE_META_OP_NONE &&
			    op->unary == RULE_META_OP_NONE) {
				*error_r = error_set("unsupported operator "
				    "'%s' at offset %zu", op->text, i);
				return -1;
			}
			token_r->kind = RULE_META_TOKEN_OPERATOR;
			token_r->length = op_length;
			token_r->binary = op->binary;
			token_r->unary = op->unary;
			*position = i + op_length;
			return 0;
		}
	}
	if (c > 0x20 && c < 0x7f)
		*error_r = error_set("unexpected character '%c' at offset "
		    "%zu", c, i);
	else
		*error_r = error_set("unexpected byte 0x%02x at offset %zu",
		    (unsigned)(unsigned char)c, i);
	return -1;
}

/* Runs the program of length instructions at set->code[start], whose
 * stack need the parser proved to fit. With values NULL every rule reads
 * as 0 (the parser's trial run). Sets *divided_by_zero_r, if not NULL,
 * when a division by zero (read as 0) happened. */
static double
rule_meta_run(const struct rule_meta_set *set, size_t start, size_t length,
    const double *values, bool *divided_by_zero_r)
{
	const struct rule_meta_instruction *instruction = set->code + start;
	const struct rule_meta_instruction *end = instruction + length;
	double stack[RULE_META_STACK_MAX];
	size_t top = 0;
	double a, b;

	for (; instruction < end; instruction++) {
		switch ((enum rule_meta_opcode)instruction->opcode) {
		case RULE_META_OP_LOAD:
			stack[top++] = values != NULL ?
			    values[instruction->argument] : 0;
			continue;
		case RULE_META_OP_CONSTANT:
			stack[top++] = set->constants[instruction->argument];
			continue;
		case RULE_META_OP_UNKNOWN:
			stack[top++] = 0;
			continue;
		case RULE_META_OP_NOT:
			stack[top - 1] = stack[top - 1] == 0 ? 1 : 0;
			continue;
		case RULE_META_OP_NEGATE:
			stack[top - 1] = -stack[top - 1];
			continue;
		default:
			break;
		}
		b = stack[--top];
		a = stack[top - 1];
		switch ((enum rule_meta_opcode)instruction->opcode) {
		case RULE_META_OP_MULTIPLY:
			a = a * b;
			break;
		case RULE_META_OP_DIVIDE:
			if (b != 0)
				a = a / b;
			else {
				a = 0;
				if (divided_by_zero_r != NULL)
					*divided_by_zero_r = true;
			}
			break;
		case RULE_META_OP_ADD:
			a = a + b;
			break;
		case RULE_META_OP_SUBTRACT:
			a = a - b;
			break;
		case RULE_META_OP_LESS:
			a = a < b;
			break;
		case RULE_META_OP_LESS_EQUAL:
			a = a <= b;
			break;
		case RULE_META_OP_GREATER:
			a = a > b;
			break;
		case RULE_META_OP_GREATER_EQUAL:
			a = a >= b;
			break;
		case RULE_META_OP_EQUAL:
			a = a == b;
			break;
		case RULE_META_OP_NOT_EQUAL:
			a = a != b;
			break;
		case RULE_META_OP_AND:
			a = a == 0 ? a : b;
			break;
		case RULE_META_OP_OR:
			a = a != 0 ? a : b;
			break;
		default:
			log_panic("rule_meta: bad opcode %u",
			    (unsigned)instruction->opcode);
		}
		stack[top - 1] = a;
	}
	ASSERT(top == 1);
	return stack[0];
}

/* What one rule_meta_add() call is building: the shunting-yard state. */
struct rule_meta_parse {
	struct rule_meta_set *set;
	const char *text;
	/* Pending operators and open parentheses; each token pushes at
	 * most one, so the text's length bounds the count. */
	enum rule_meta_opcode *operators;
	size_t operator_count;
	size_t nesting;
	bool expect_operand;
	enum rule_meta_token_kind previous;
	size_t depth, max_depth; /* evaluation stack, simulated */
};

static void
rule_meta_emit(struct rule_meta_parse *parse, enum rule_meta_opcode opcode,
    uint32_t argument)
{
	struct rule_meta_set *set = parse->set;

	set->code = rule_meta_grow(set->code, set->code_length,
	    &set->code_capacity, sizeof(*set->code));
	set->code[set->code_length++] = (struct rule_meta_instruction){
		.opcode = (uint8_t)opcode, .argument = argument };
	if (opcode == RULE_META_OP_LOAD || opcode == RULE_META_OP_CONSTANT)
		parse->depth++;
	else if (opcode != RULE_META_OP_NOT && opcode != RULE_META_OP_NEGATE)
		parse->depth--;
	parse->max_depth = MAX(parse->max_depth, parse->depth);
}

/* Emits an operator popped off the operator stack; unary plus is a
 * no-op and leaves no instruction. */
static void
rule_meta_emit_operator(struct rule_meta_parse *parse,
    enum rule_meta_opcode opcode)
{
	if (opcode != RULE_META_OP_PLUS)
		rule_meta_emit(parse, opcode, 0);
}

static void
rule_meta_emit_constant(struct rule_meta_parse *parse, double value)
{
	struct rule_meta_set *set = parse->set;

	set->constants = rule_meta_grow(set->constants, set->constant_count,
	    &set->constant_capacity, sizeof(*set->constants));
	set->constants[set->constant_count] = value;
	rule_meta_emit(parse, RULE_META_OP_CONSTANT,
	    (uint32_t)set->constant_count++);
}

static void
rule_meta_emit_name(struct rule_meta_parse *parse, const char *name,
    size_t length)
{
	struct rule_meta_set *set = parse->set;
	size_t offset = set->strings_length;

	if (set->strings_capacity - set->strings_length < length + 1) {
		set->strings_capacity = MAX(set->strings_capacity * 2,
		    set->strings_length + length + 1);
		set->strings = alloc_resize(set->strings,
		    set->strings_capacity, 1);
	}
	memcpy(set->strings + offset, name, length);
	set->strings[offset + length] = '\0';
	set->strings_length += length + 1;
	rule_meta_emit(parse, RULE_META_OP_LOAD, (uint32_t)offset);
}

static bool
rule_meta_non_associative(enum rule_meta_opcode opcode)
{
	return rule_meta_precedence[opcode] == 3 ||
	    rule_meta_precedence[opcode] == 4;
}

/* True for the expression "()" (any spacing): SpamAssassin's way to
 * declare a meta that other code sets, evaluated as 0. */
static bool
rule_meta_is_declaration(const char *text, size_t length)
{
	size_t i = 0;

	while (i < length && rule_meta_is_space(text[i]))
		i++;
	if (i == length || text[i++] != '(')
		return false;
	while (i < length && rule_meta_is_space(text[i]))
		i++;
	if (i == length || text[i++] != ')')
		return false;
	while (i < length && rule_meta_is_space(text[i]))
		i++;
	return i == length;
}

/* Sets *error_r to "WHAT TOKEN at offset N", naming the token. */
static void
rule_meta_token_error(const struct rule_meta_parse *parse,
    const struct rule_meta_token *token, const char *what,
    const char **error_r)
{
	*error_r = error_set("%s '%.*s' at offset %zu", what,
	    (int)MIN(token->length, 40), parse->text + token->offset,
	    token->offset);
}

/* Handles a token where an operand must come: a name, a number, an
 * open parenthesis or a prefix operator. Returns 0 or -1. */
static int
rule_meta_parse_operand(struct rule_meta_parse *parse,
    const struct rule_meta_token *token, const char **error_r)
{
	unsigned max_nesting = parse->set->limits.max_nesting;

	switch (token->kind) {
	case RULE_META_TOKEN_NAME:
		rule_meta_emit_name(parse, parse->text + token->offset,
		    token->length);
		parse->expect_operand = false;
		return 0;
	case RULE_META_TOKEN_NUMBER:
		rule_meta_emit_constant(parse, token->number);
		parse->expect_operand = false;
		return 0;
	case RULE_META_TOKEN_OPEN:
		if (parse->nesting == max_nesting) {
			*error_r = error_set("parentheses nested deeper than "
			    "%u at offset %zu", max_nesting, token->offset);
			return -1;
		}
		parse->nesting++;
		parse->operators[parse->operator_count++] = RULE_META_OP_PAREN;
		return 0;
	case RULE_META_TOKEN_OPERATOR:
		if (token->unary != RULE_META_OP_NONE) {
			parse->operators[parse->operator_count++] =
			    token->unary;
			return 0;
		}
		break;
	case RULE_META_TOKEN_CLOSE:
		if (parse->previous == RULE_META_TOKEN_OPEN) {
			*error_r = error_set("empty parentheses at offset %zu",
			    token->offset);
			return -1;
		}
		break;
	case RULE_META_TOKEN_END:
		break;
	}
	rule_meta_token_error(parse, token, "missing operand before", error_r);
	return -1;
}

/* Handles a binary operator: emits the pending operators that bind at
 * least as tightly (left associativity), refuses a chained comparison,
 * and pushes the new one. Returns 0 or -1. */
static int
rule_meta_parse_binary(struct rule_meta_parse *parse,
    const struct rule_meta_token *token, const char **error_r)
{
	enum rule_meta_opcode opcode = token->binary, top;

	while (parse->operator_count > 0) {
		top = parse->operators[parse->operator_count - 1];
		if (top == RULE_META_OP_PAREN ||
		    rule_meta_precedence[top] < rule_meta_precedence[opcode])
			break;
		if (rule_meta_precedence[top] == rule_meta_precedence[opcode] &&
		    rule_meta_non_associative(opcode)) {
			*error_r = error_set("chained comparison at offset %zu",
			    token->offset);
			return -1;
		}
		rule_meta_emit_operator(parse, top);
		parse->operator_count--;
	}
	parse->operators[parse->operator_count++] = opcode;
	parse->expect_operand = true;
	return 0;
}

/* Handles a token after a complete operand: a binary operator or a
 * closing parenthesis. Returns 0 or -1. */
static int
rule_meta_parse_operator(struct rule_meta_parse *parse,
    const struct rule_meta_token *token, const char **error_r)
{
	if (token->kind == RULE_META_TOKEN_OPERATOR &&
	    token->binary != RULE_META_OP_NONE)
		return rule_meta_parse_binary(parse, token, error_r);
	if (token->kind == RULE_META_TOKEN_CLOSE) {
		while (parse->operator_count > 0 &&
		    parse->operators[parse->operator_count - 1] !=
		    RULE_META_OP_PAREN)
			rule_meta_emit_operator(parse,
			    parse->operators[--parse->operator_count]);
		if (parse->operator_count == 0) {
			*error_r = error_set("unbalanced ')' at offset %zu",
			    token->offset);
			return -1;
		}
		parse->operator_count--;
		parse->nesting--;
		return 0;
	}
	if (token->kind == RULE_META_TOKEN_OPEN &&
	    parse->previous == RULE_META_TOKEN_NAME) {
		*error_r = error_set("function calls are not supported "
		    "(offset %zu)", token->offset);
		return -1;
	}
	rule_meta_token_error(parse, token, "missing operator before",
	    error_r);
	return -1;
}

/* Handles the end of the text: emits what is pending. Returns 0 or -1. */
static int
rule_meta_parse_end(struct rule_meta_parse *parse,
    const struct rule_meta_token *token, const char **error_r)
{
	enum rule_meta_opcode opcode;

	if (parse->expect_operand) {
		if (parse->previous == RULE_META_TOKEN_END)
			*error_r = error_set("empty expression");
		else
			*error_r = error_set("missing operand at the end "
			    "(offset %zu)", token->offset);
		return -1;
	}
	while (parse->operator_count > 0) {
		opcode = parse->operators[--parse->operator_count];
		if (opcode == RULE_META_OP_PAREN) {
			*error_r = error_set("unbalanced '(': %zu left open",
			    parse->nesting);
			return -1;
		}
		rule_meta_emit_operator(parse, opcode);
	}
	ASSERT(parse->depth == 1);
	if (parse->max_depth > RULE_META_STACK_MAX) {
		*error_r = error_set("expression too complex: needs %zu "
		    "evaluation stack slots, at most %d", parse->max_depth,
		    RULE_META_STACK_MAX);
		return -1;
	}
	return 0;
}

/* Parses the first length bytes of parse->text into RPN appended to
 * the set's code. Returns 0 or -1 with *error_r; the caller rolls the
 * set back on failure. */
static int
rule_meta_parse_expression(struct rule_meta_parse *parse, size_t length,
    const char **error_r)
{
	struct rule_meta_token token;
	size_t position = 0;
	int ret;

	if (rule_meta_is_declaration(parse->text, length)) {
		rule_meta_emit_constant(parse, 0);
		return 0;
	}
	parse->operators = alloc_array(length + 1, sizeof(*parse->operators));
	parse->expect_operand = true;
	parse->previous = RULE_META_TOKEN_END;
	for (;;) {
		ret = rule_meta_next_token(parse->text, length, &position,
		    &token, error_r);
		if (ret < 0)
			break;
		if (token.kind == RULE_META_TOKEN_END) {
			ret = rule_meta_parse_end(parse, &token, error_r);
			break;
		}
		ret = parse->expect_operand ?
		    rule_meta_parse_operand(parse, &token, error_r) :
		    rule_meta_parse_operator(parse, &token, error_r);
		if (ret < 0)
			break;
		parse->previous = token.kind;
	}
	free(parse->operators);
	return ret;
}

int
rule_meta_add(struct rule_meta_set *set, const char *name,
    const char *expression, const char **error_r)
{
	struct rule_meta_parse parse = { .set = set, .text = expression };
	size_t code_start = set->code_length;
	size_t constants_start = set->constant_count;
	size_t strings_start = set->strings_length;
	size_t length;
	struct rule_meta_entry *meta;
	bool divided_by_zero = false, failed = false;

	ASSERT(!set->compiled);
	if (!rule_meta_name_valid(name)) {
		*error_r = error_set("invalid meta rule name");
		return -1;
	}
	length = strnlen(expression,
	    MIN(set->limits.max_expression_length, SIZE_MAX - 1) + 1);
	if (length > set->limits.max_expression_length) {
		*error_r = error_set("expression longer than %zu bytes",
		    set->limits.max_expression_length);
		return -1;
	}
	/* Every pool index must fit an instruction's 32-bit argument. */
	if (set->meta_count >= RULE_META_POOL_MAX ||
	    RULE_META_POOL_MAX - set->code_length < length + 1 ||
	    RULE_META_POOL_MAX - set->constant_count < length + 1 ||
	    RULE_META_POOL_MAX - set->strings_length < length + 1) {
		*error_r = error_set("too many meta rules");
		return -1;
	}
	if (rule_meta_parse_expression(&parse, length, error_r) == 0) {
		/* SpamAssassin's own check: evaluated with every rule at 0,
		 * the expression must not divide by zero. */
		(void)rule_meta_run(set, code_start,
		    set->code_length - code_start, NULL, &divided_by_zero);
		if (divided_by_zero) {
			*error_r = error_set("division by zero possible");
			failed = true;
		}
	} else
		failed = true;
	if (failed) {
		set->code_length = code_start;
		set->constant_count = constants_start;
		set->strings_length = strings_start;
		return -1;
	}
	set->metas = rule_meta_grow(set->metas, set->meta_count,
	    &set->meta_capacity, sizeof(*set->metas));
	meta = &set->metas[set->meta_count++];
	memset(meta, 0, sizeof(*meta));
	meta->name = alloc_strdup(name);
	meta->code_start = code_start;
	meta->code_length = set->code_length - code_start;
	meta->value_index = RULE_META_NONE;
	return 0;
}

static void
rule_meta_report(const struct rule_meta_callbacks *callbacks,
    enum rule_meta_severity severity, const char *meta_name,
    const char *message)
{
	if (callbacks->diagnostic != NULL)
		callbacks->diagnostic(callbacks->context, severity, meta_name,
		    message);
}

/* Scratch state of rule_meta_compile(). */
struct rule_meta_compile {
	struct rule_meta_set *set;
	const struct rule_meta_callbacks *callbacks;
	uint32_t *meta_at;      /* value index -> meta, or NONE */
	uint32_t *edge_start;   /* meta -> first edge; meta_count + 1 */
	uint32_t *edges;        /* used metas */
	size_t edge_count, edge_capacity;
};

/* Finds each meta's value index; a later definition of a name replaces
 * the earlier one. Returns 0 or -1 with *error_r. */
static int
rule_meta_resolve_targets(struct rule_meta_compile *compile,
    const char **error_r)
{
	struct rule_meta_set *set = compile->set;
	const struct rule_meta_callbacks *callbacks = compile->callbacks;
	size_t index;

	for (size_t i = 0; i < set->meta_count; i++) {
		struct rule_meta_entry *meta = &set->metas[i];

		if (!callbacks->lookup(callbacks->context, meta->name,
		    &index)) {
			*error_r = error_set("meta %s: lookup does not know "
			    "the meta's own name", meta->name);
			return -1;
		}
		if (index >= set->value_count) {
			*error_r = error_set("meta %s: value index %zu out of "
			    "range", meta->name, index);
			return -1;
		}
		if (compile->meta_at[index] != RULE_META_NONE) {
			struct rule_meta_entry *earlier =
			    &set->metas[compile->meta_at[index]];

			if (strcmp(earlier->name, meta->name) != 0) {
				*error_r = error_set("metas %s and %s share "
				    "value index %zu", earlier->name,
				    meta->name, index);
				return -1;
			}
			earlier->state = RULE_META_STATE_REPLACED;
			rule_meta_report(callbacks, RULE_META_SEVERITY_WARNING,
			    meta->name, "defined more than once; the last "
			    "definition wins");
		}
		compile->meta_at[index] = (uint32_t)i;
		meta->value_index = (uint32_t)index;
	}
	return 0;
}

/* True when an earlier instruction of meta's program (before end)
 * named the same unknown rule, which was reported then. */
static bool
rule_meta_reported_before(const struct rule_meta_set *set,
    const struct rule_meta_entry *meta, size_t end, const char *name)
{
	for (size_t k = meta->code_start; k < end; k++) {
		const struct rule_meta_instruction *instruction =
		    &set->code[k];

		if (instruction->opcode == RULE_META_OP_UNKNOWN &&
		    strcmp(set->strings + instruction->argument, name) == 0)
			return true;
	}
	return false;
}

/* Turns the names in every live program into value indices (or UNKNOWN)
 * and records which metas each meta uses as edges. Returns 0 or -1
 * with *error_r. */
static int
rule_meta_resolve_names(struct rule_meta_compile *compile,
    const char **error_r)
{
	struct rule_meta_set *set = compile->set;
	const struct rule_meta_callbacks *callbacks = compile->callbacks;
	char message[RULE_META_NAME_MAX + 64];
	size_t index;

	compile->edge_start = alloc_array(set->meta_count + 1,
	    sizeof(*compile->edge_start));
	for (size_t i = 0; i < set->meta_count; i++) {
		struct rule_meta_entry *meta = &set->metas[i];
		size_t end = meta->code_start + meta->code_length;

		compile->edge_start[i] = (uint32_t)compile->edge_count;
		if (meta->state == RULE_META_STATE_REPLACED)
			continue;
		for (size_t k = meta->code_start; k < end; k++) {
			struct rule_meta_instruction *instruction =
			    &set->code[k];
			const char *name;

			if (instruction->opcode != RULE_META_OP_LOAD)
				continue;
			name = set->strings + instruction->argument;
			if (!callbacks->lookup(callbacks->context, name,
			    &index)) {
				if (!rule_meta_reported_before(set, meta, k,
				    name)) {
					snprintf(message, sizeof(message),
					    "unknown rule %s counts as 0",
					    name);
					rule_meta_report(callbacks,
					    RULE_META_SEVERITY_WARNING,
					    meta->name, message);
				}
				instruction->opcode = RULE_META_OP_UNKNOWN;
				continue;
			}
			if (index >= set->value_count) {
				*error_r = error_set("meta %s: value index %zu "
				    "of %s out of range", meta->name, index,
				    name);
				return -1;
			}
			instruction->argument = (uint32_t)index;
			if (compile->meta_at[index] == RULE_META_NONE)
				continue;
			compile->edges = rule_meta_grow(compile->edges,
			    compile->edge_count, &compile->edge_capacity,
			    sizeof(*compile->edges));
			compile->edges[compile->edge_count++] =
			    compile->meta_at[index];
		}
	}
	compile->edge_start[set->meta_count] = (uint32_t)compile->edge_count;
	return 0;
}

/* Reports every member of a dependency cycle (members[0..count)) and
 * disables it. */
static void
rule_meta_disable_cycle(struct rule_meta_compile *compile,
    const uint32_t *members, size_t count)
{
	struct rule_meta_set *set = compile->set;
	char message[1024];
	size_t used;

	used = (size_t)snprintf(message, sizeof(message),
	    "disabled: dependency cycle among");
	for (size_t i = 0; i < count; i++) {
		const char *name = set->metas[members[i]].name;

		/* Leave room for ", ..." after the last name that fits. */
		if (used + strlen(name) + 2 + 6 >= sizeof(message)) {
			snprintf(message + used, sizeof(message) - used,
			    ", ...");
			break;
		}
		used += (size_t)snprintf(message + used,
		    sizeof(message) - used, "%s %s", i == 0 ? "" : ",", name);
	}
	for (size_t i = 0; i < count; i++) {
		struct rule_meta_entry *meta = &set->metas[members[i]];

		meta->state = RULE_META_STATE_DISABLED;
		rule_meta_report(compile->callbacks, RULE_META_SEVERITY_ERROR,
		    meta->name, message);
	}
}

/* Places one strongly connected component, members[0..count), that
 * Tarjan's walk just finished: every meta it uses is placed already. */
static void
rule_meta_place_component(struct rule_meta_compile *compile,
    const uint32_t *members, size_t count)
{
	struct rule_meta_set *set = compile->set;
	uint32_t meta = members[0];
	char message[RULE_META_NAME_MAX + 64];

	if (count > 1) {
		rule_meta_disable_cycle(compile, members, count);
		return;
	}
	for (uint32_t e = compile->edge_start[meta];
	    e < compile->edge_start[meta + 1]; e++) {
		uint32_t used = compile->edges[e];

		if (used == meta) {
			rule_meta_disable_cycle(compile, members, count);
			return;
		}
	}
	for (uint32_t e = compile->edge_start[meta];
	    e < compile->edge_start[meta + 1]; e++) {
		const struct rule_meta_entry *used =
		    &set->metas[compile->edges[e]];

		if (used->state == RULE_META_STATE_DISABLED) {
			snprintf(message, sizeof(message),
			    "disabled: uses disabled meta %s", used->name);
			set->metas[meta].state = RULE_META_STATE_DISABLED;
			rule_meta_report(compile->callbacks,
			    RULE_META_SEVERITY_ERROR, set->metas[meta].name,
			    message);
			return;
		}
	}
	set->order[set->order_length++] = meta;
}

/* Tarjan's walk, with an explicit call stack of (meta, next edge)
 * frames in place of recursion. */
struct rule_meta_tarjan {
	struct rule_meta_compile *compile;
	uint32_t *visit; /* visit number, or NONE before the visit */
	uint32_t *low;   /* lowest visit number reachable on the stack */
	bool *on_stack;
	uint32_t *component_stack;
	size_t component_count;
	uint32_t *call_meta, *call_edge;
	size_t call_count;
	uint32_t counter;
};

/* Starts visiting meta: the recursive call of the textbook version. */
static void
rule_meta_tarjan_enter(struct rule_meta_tarjan *walk, uint32_t meta)
{
	walk->visit[meta] = walk->low[meta] = walk->counter++;
	walk->component_stack[walk->component_count++] = meta;
	walk->on_stack[meta] = true;
	walk->call_meta[walk->call_count] = meta;
	walk->call_edge[walk->call_count++] =
	    walk->compile->edge_start[meta];
}

/* Finishes visiting the meta on top of the call stack: the return of
 * the textbook version. A meta that is its component's root pops and
 * places the component. */
static void
rule_meta_tarjan_leave(struct rule_meta_tarjan *walk)
{
	uint32_t meta = walk->call_meta[--walk->call_count], caller;
	size_t start = walk->component_count;

	if (walk->call_count > 0) {
		caller = walk->call_meta[walk->call_count - 1];
		walk->low[caller] = MIN(walk->low[caller], walk->low[meta]);
	}
	if (walk->low[meta] != walk->visit[meta])
		return;
	do {
		start--;
		walk->on_stack[walk->component_stack[start]] = false;
	} while (walk->component_stack[start] != meta);
	rule_meta_place_component(walk->compile, walk->component_stack + start,
	    walk->component_count - start);
	walk->component_count = start;
}

/* Orders the live metas: Tarjan's strongly connected components come
 * out dependencies first and are placed as they do. */
static void
rule_meta_order(struct rule_meta_compile *compile)
{
	struct rule_meta_set *set = compile->set;
	size_t n = set->meta_count;
	struct rule_meta_tarjan walk = {
		.compile = compile,
		.visit = alloc_array(n, sizeof(uint32_t)),
		.low = alloc_array(n, sizeof(uint32_t)),
		.on_stack = alloc_array(n, sizeof(bool)),
		.component_stack = alloc_array(n, sizeof(uint32_t)),
		.call_meta = alloc_array(n, sizeof(uint32_t)),
		.call_edge = alloc_array(n, sizeof(uint32_t)),
	};
	uint32_t meta, used;

	set->order = alloc_array(n, sizeof(*set->order));
	for (size_t i = 0; i < n; i++)
		walk.visit[i] = RULE_META_NONE;
	for (size_t root = 0; root < n; root++) {
		if (set->metas[root].state == RULE_META_STATE_REPLACED ||
		    walk.visit[root] != RULE_META_NONE)
			continue;
		rule_meta_tarjan_enter(&walk, (uint32_t)root);
		while (walk.call_count > 0) {
			meta = walk.call_meta[walk.call_count - 1];
			if (walk.call_edge[walk.call_count - 1] ==
			    compile->edge_start[meta + 1]) {
				rule_meta_tarjan_leave(&walk);
				continue;
			}
			used = compile->edges[
			    walk.call_edge[walk.call_count - 1]++];
			if (walk.visit[used] == RULE_META_NONE)
				rule_meta_tarjan_enter(&walk, used);
			else if (walk.on_stack[used])
				walk.low[meta] = MIN(walk.low[meta],
				    walk.visit[used]);
		}
	}
	free(walk.visit);
	free(walk.low);
	free(walk.on_stack);
	free(walk.component_stack);
	free(walk.call_meta);
	free(walk.call_edge);
}

int
rule_meta_compile(struct rule_meta_set *set, size_t value_count,
    const struct rule_meta_callbacks *callbacks, const char **error_r)
{
	struct rule_meta_compile compile = {
		.set = set, .callbacks = callbacks };
	int ret = -1;

	ASSERT(!set->compiled);
	ASSERT(callbacks->lookup != NULL);
	set->compiled = true;
	if (value_count >= UINT32_MAX) {
		*error_r = error_set("value count %zu too large", value_count);
		set->failed = true;
		return -1;
	}
	set->value_count = value_count;
	compile.meta_at = alloc_array(value_count + 1,
	    sizeof(*compile.meta_at));
	for (size_t i = 0; i < value_count; i++)
		compile.meta_at[i] = RULE_META_NONE;
	if (rule_meta_resolve_targets(&compile, error_r) < 0 ||
	    rule_meta_resolve_names(&compile, error_r) < 0) {
		set->failed = true;
		goto out;
	}
	rule_meta_order(&compile);
	set->zeroed = alloc_array(set->meta_count + 1, sizeof(*set->zeroed));
	for (size_t i = 0; i < set->meta_count; i++) {
		if (set->metas[i].state == RULE_META_STATE_DISABLED)
			set->zeroed[set->zeroed_length++] =
			    set->metas[i].value_index;
	}
	ret = 0;
out:
	free(compile.meta_at);
	free(compile.edge_start);
	free(compile.edges);
	return ret;
}

void
rule_meta_evaluate(const struct rule_meta_set *set, double *values)
{
	double result;

	ASSERT(set->compiled && !set->failed);
	for (size_t i = 0; i < set->zeroed_length; i++)
		values[set->zeroed[i]] = 0;
	for (size_t i = 0; i < set->order_length; i++) {
		const struct rule_meta_entry *meta =
		    &set->metas[set->order[i]];

		/* A hit stores its result, or 1 when that is negative (or
		 * not a number): SpamAssassin's got_hit() only ever raises
		 * a rule's value. */
		result = rule_meta_run(set, meta->code_start,
		    meta->code_length, values, NULL);
		values[meta->value_index] = result > 0 ? result :
		    result != 0 ? 1 : 0;
	}
}

size_t
rule_meta_count(const struct rule_meta_set *set)
{
	return set->meta_count;
}

const char *
rule_meta_name(const struct rule_meta_set *set, size_t meta)
{
	ASSERT(meta < set->meta_count);
	return set->metas[meta].name;
}

bool
rule_meta_enabled(const struct rule_meta_set *set, size_t meta)
{
	ASSERT(meta < set->meta_count && set->compiled);
	return !set->failed &&
	    set->metas[meta].state == RULE_META_STATE_ENABLED;
}

size_t
rule_meta_value_index(const struct rule_meta_set *set, size_t meta)
{
	ASSERT(meta < set->meta_count && set->compiled);
	return set->metas[meta].value_index;
}

void
rule_meta_visit_operands(const struct rule_meta_set *set, size_t meta,
    void (*visit)(size_t index, void *context), void *context)
{
	const struct rule_meta_entry *entry = &set->metas[meta];
	size_t i;

	ASSERT(set->compiled && !set->failed);
	for (i = 0; i < entry->code_length; i++) {
		const struct rule_meta_instruction *instruction =
		    &set->code[entry->code_start + i];
		if (instruction->opcode == RULE_META_OP_LOAD)
			visit(instruction->argument, context);
	}
}
