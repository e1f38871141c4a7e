package main

// A tiny JSON tree with ordered keys, so policies can be generated with duplicate keys, unknown keys
// and exact key order, and mutated after generation.

import (
	"bytes"
	"encoding/json"
	"strconv"
)

type nodeKind int

const (
	nObj nodeKind = iota
	nArr
	nStr
	nRaw // a literal JSON fragment (number, bool, null, or deliberately broken text)
)

type node struct {
	kind  nodeKind
	keys  []string // nObj; a key is written as given when it starts with `"` (pre-escaped), else quoted
	vals  []*node  // nObj
	items []*node  // nArr
	s     string   // nStr value, nRaw text
}

func jobj(kv ...any) *node {
	n := &node{kind: nObj}
	for i := 0; i+1 < len(kv); i += 2 {
		n.set(kv[i].(string), toNode(kv[i+1]))
	}
	return n
}

func jarr(items ...*node) *node { return &node{kind: nArr, items: items} }
func jstr(s string) *node       { return &node{kind: nStr, s: s} }
func jraw(s string) *node       { return &node{kind: nRaw, s: s} }

func toNode(v any) *node {
	switch x := v.(type) {
	case *node:
		return x
	case string:
		return jstr(x)
	case int:
		return jraw(strconv.Itoa(x))
	case bool:
		return jraw(strconv.FormatBool(x))
	case nil:
		return jraw("null")
	}
	panic("toNode: unsupported value")
}

// set replaces the value of key, or appends it.
func (n *node) set(key string, value any) {
	v := toNode(value)
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

// add appends key even when present (duplicate keys).
func (n *node) add(key string, value any) {
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, toNode(value))
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) del(key string) {
	for i, k := range n.keys {
		if k == key {
			n.keys = append(n.keys[:i:i], n.keys[i+1:]...)
			n.vals = append(n.vals[:i:i], n.vals[i+1:]...)
			return
		}
	}
}

// replaceWith makes n a copy of other (used to swap a node in place).
func (n *node) replaceWith(other *node) { *n = *other }

func (n *node) render() []byte {
	var b bytes.Buffer
	n.write(&b)
	return b.Bytes()
}

func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

func (n *node) write(b *bytes.Buffer) {
	switch n.kind {
	case nObj:
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if len(k) > 0 && k[0] == '"' {
				b.WriteString(k)
			} else {
				b.WriteString(quote(k))
			}
			b.WriteByte(':')
			n.vals[i].write(b)
		}
		b.WriteByte('}')
	case nArr:
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.write(b)
		}
		b.WriteByte(']')
	case nStr:
		b.WriteString(quote(n.s))
	case nRaw:
		b.WriteString(n.s)
	}
}
