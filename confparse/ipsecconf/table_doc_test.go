package ipsecconf

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateDoc = flag.Bool("update", false, "rewrite docs/ipsec.conf-keywords.md")

const keywordDoc = "../../docs/ipsec.conf-keywords.md"

func (sp *kwSpec) docType() string {
	t := argNames[sp.arg]
	switch sp.arg {
	case argEnum, argFlag, argMisc:
		t += " " + strings.Join(sp.list, ", ")
	case argStr:
		if sp.list != nil {
			t = "one of " + strings.Join(sp.list, ", ")
		}
	case argULong:
		t += " " + sp.list[0]
	}
	return t
}

func (sp *kwSpec) docMerge() string {
	switch sp.merge {
	case mergeShared:
		return "shared field: the spelling applied last wins"
	case mergeMark:
		return "sets mark_in and mark_out (which win)"
	case mergeAlso:
		return "accumulates"
	case mergeNoInherit:
		return "last wins, no inheritance"
	}
	return "last wins"
}

func (sp *kwSpec) docSupport() string {
	if sp.arg == argDeprecated {
		return "ignored, as by starter"
	}
	var out []string
	for _, r := range sp.support {
		effect := "conn refused"
		if r.mode == ignoreValue {
			effect = "ignored"
		}
		cases := r.doc
		if r.classify == nil {
			what := "any value"
			if r.values != nil {
				what = "`" + strings.Join(r.values, "`, `") + "`"
			}
			cases = []docCase{{what, r.feature}}
		}
		for _, c := range cases {
			if !c.feature.Supported {
				out = append(out, fmt.Sprintf("%s needs %s (%s)", c.what, c.feature.Name, effect))
			}
		}
	}
	if len(out) == 0 {
		return "yes"
	}
	return strings.Join(out, "; ")
}

func renderKeywordDoc() string {
	var b strings.Builder
	b.WriteString(`# ipsec.conf keywords

Generated from the keyword table in confparse/ipsecconf/table.go
(` + "`go test ./confparse/ipsecconf -run KeywordDoc -update`" + `): strongSwan 5.9.8's
src/starter/keywords.txt, args.c, confread.c, cmp.c and starterstroke.c, and what goswan does
with each keyword. left and right keywords are listed once, as leftX.

Merging: within a section the last definition of a key wins; a conn's own value wins over
its also= parents (the last also= first, depth first), which win over %default; "key=" unsets.
Starter applies a conn's own keys first and the inherited ones after, each group in strcmp
order, so of two spellings of one field (lifetime and keylife) the one applied last wins.

"compared": starter's comparison on ipsec update looks at it (a changed value replaces the
conn). "goswan": what it does not do yet; "conn refused" means charon logs why and does not
load the conn, and checkconf reports it; "ignored" means charon loads the conn without it, and
checkconf reports it where the file sets it.

| keyword | section | type | default | merge | stroke | compared | goswan |
|---|---|---|---|---|---|---|---|
`)
	section := func(k keyword) string {
		switch {
		case k <= kwSetupLast:
			return "config setup"
		case k <= kwConnLast:
			return "conn"
		case k <= kwCALast:
			return "ca"
		}
		return "conn (left, right)"
	}
	for i := range specs {
		sp := &specs[i]
		if len(sp.names) == 0 {
			continue
		}
		names := sp.names
		if sp.tok >= kwEndFirst {
			names = nil
			for _, n := range sp.names {
				names = append(names, "left"+n)
			}
		}
		cmp := "no"
		if len(sp.compared()) > 0 && sp.tok > kwSetupLast {
			cmp = "yes"
		}
		def := sp.def
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", strings.Join(names, ", "), section(sp.tok),
			sp.docType(), def, sp.docMerge(), sp.stroke, cmp, sp.docSupport())
	}
	fmt.Fprintf(&b, "| also | conn, ca | %s | (unset) | %s | %s | no | yes |\n", alsoSpec.docType(), alsoSpec.docMerge(), alsoSpec.stroke)
	return b.String()
}

// TestKeywordDoc: docs/ipsec.conf-keywords.md is the table.
func TestKeywordDoc(t *testing.T) {
	doc := renderKeywordDoc()
	if *updateDoc {
		if err := os.WriteFile(keywordDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(keywordDoc)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != doc {
		t.Errorf("%s is not the keyword table (go test ./confparse/ipsecconf -run KeywordDoc -update)", keywordDoc)
	}
}

// TestClassifyRulesDocumented: a rule that classifies values says in its
// doc which values need which feature, or the keyword documentation
// would not show it.
func TestClassifyRulesDocumented(t *testing.T) {
	for _, sp := range specs {
		for _, r := range sp.support {
			if r.classify != nil && len(r.doc) == 0 {
				t.Errorf("%v: a classify rule without doc", sp.names)
			}
		}
	}
}
