/* Prompts for the reply model: the five prompting strategies of the
 * CultureCare method (docs/method.md), built as a system and a user turn.
 * Pure: no I/O, no globals that change. */
#ifndef CC_PROMPT_H
#define CC_PROMPT_H
#include <stdbool.h>
#include <stddef.h>

typedef enum prompt_strategy {
	STRAT_REDDITOR,                   /* paper: standard */
	STRAT_PROFILE,                    /* paper: +culture */
	STRAT_GUIDED_WITHOUT_PROFILE,     /* paper: +guided */
	STRAT_ANNOTATION_WITHOUT_PROFILE, /* paper: +annotation */
	STRAT_GUIDED_ANNOTATION,          /* paper: +cga */
	STRAT__COUNT
} prompt_strategy;

/* Accepts the API names (redditor, profile, guided_without_profile,
 * annotation_without_profile, guided_annotation) and the paper's short names
 * (standard, culture, guided, annotation, cga); exact, lower-case. Returns 0
 * and sets *out, or -1 (NULL name or unknown name; *out untouched). */
int prompt_strategy_parse(const char *name, prompt_strategy *out);

/* The API name of s (static string), or NULL when s is out of range. */
const char *prompt_strategy_name(prompt_strategy s);

/* True for the two strategies that show annotations (and hints). */
bool prompt_strategy_uses_annotations(prompt_strategy s);

/* Comma-separated list of accepted names, for error messages. */
extern const char prompt_strategy_names[];

/* The annotation vocabulary, shared with the annotator and the tests. Names
 * are the canonical spellings; meanings are the texts the prompts show. */
typedef struct prompt_term {
	const char *name;
	const char *meaning;
} prompt_term;

#define PROMPT_NINTENSITIES 3
#define PROMPT_NSIGNAL_TYPES 7
#define PROMPT_NGUIDELINES 7

/* light, moderate, high */
extern const prompt_term prompt_intensities[PROMPT_NINTENSITIES];
/* Concepts, Knowledge, Values, Norms and Morals, Language, Artifacts,
 * Demographics */
extern const prompt_term prompt_signal_types[PROMPT_NSIGNAL_TYPES];
/* What an emotional distress phrase and a cultural signal are. */
extern const char prompt_distress_definition[];
extern const char prompt_signal_definition[];
/* The counselling guidelines after the CCCI-R; index 0 is item 1. */
extern const char *const prompt_guidelines[PROMPT_NGUIDELINES];

/* The canonical spelling of an intensity / signal type that matches s
 * case-insensitively (ASCII) after trimming spaces, or NULL when s is NULL
 * or not one. The result is a static string. */
const char *prompt_intensity_canonical(const char *s);
const char *prompt_signal_type_canonical(const char *s);

/* One annotated span of the message. */
typedef struct prompt_annotation {
	const char *phrase;
	const char *label; /* intensity or signal type; NULL (or not a valid one) = unknown */
} prompt_annotation;

/* A support strategy peers of the same culture used for similar distress. */
typedef struct prompt_hint {
	const char *strategy;          /* e.g. "Reflection of Feelings" */
	double weight;                 /* share in [0, 1], shown as a percentage */
	const char *const *examples;   /* example phrases; the first 3 are shown */
	size_t nexamples;
} prompt_hint;

typedef struct prompt_input {
	prompt_strategy strategy;
	const char *culture;      /* display name, e.g. "Chinese"; required by
				   * profile and guided_annotation */
	const char *message;      /* the distressed person's message; required */
	const prompt_annotation *distress;
	size_t ndistress;
	const prompt_annotation *signals;
	size_t nsignals;
	const prompt_hint *hints; /* support strategies peers used; only the
				   * annotation strategies show them, and only
				   * when nhints > 0 */
	size_t nhints;
	const char *extra_system; /* appended as the last paragraph of the system
				   * prompt when not NULL */
	bool no_role;             /* no role-play: the forum persona (and the
				   * culture's) is replaced by a plain supportive
				   * assistant; used when the writer may be at risk */
} prompt_input;

/* Both strings are malloc'd and owned by the caller: free with
 * prompt_clear(). */
typedef struct prompt {
	char *system;
	char *user;
} prompt;

/* Builds the prompt for in->strategy. Strategies that do not use annotations
 * ignore annotations and hints. Text is copied as is (nothing escaped).
 * Returns 0, or -1 on bad input (unknown strategy, missing message, missing
 * culture where one is needed, a NULL phrase or strategy name, a weight
 * outside [0, 1]) or out of memory; on -1, out is left empty. */
int prompt_build(const prompt_input *in, prompt *out);

/* The user turn prompt_build makes of in (the message, with its
 * annotations for the annotation strategies): a new string, or NULL on bad
 * input or out of memory. For a conversation's earlier user turns. */
char *prompt_user_turn(const prompt_input *in);

/* Frees both strings and sets them to NULL; safe on an empty prompt. */
void prompt_clear(prompt *p);

#endif
