// Command ledger-go checks an accessreview ledger directory with code nobody on the project
// wrote: golang.org/x/mod/sumdb/note verifies the signed checkpoints (C2SP signed-note),
// github.com/transparency-dev/merkle hashes the tree and checks proofs (RFC 6962/9162), and
// github.com/hamba/avro/v2 reads the segment containers.
//
//	ledger-go -store DIR -key KEY [-key KEY]... [-origin ORIGIN] [-proofs FILE]
//
// KEY is a note verifier key (name+hash+base64(0x01||key)) or the path of one of our public
// key JSON files; it comes from the auditor, never from the store. The program recomputes every
// leaf hash from the entry bytes, the tree after every segment, and compares each signed
// checkpoint (origin, size, root) and each manifest (root, size, frontier) with it. FILE is JSON
// made by the Python side: {"inclusion": [accessreview-inclusion-proof/1 bundles...],
// "consistency": [{"old_size", "new_size", "proof": [hex...]}...]}; each inclusion proof is
// checked against its own signed checkpoint with a leaf hash computed here from the entry
// bytes, each consistency proof against the roots of the store's verified checkpoints.
//
// Prints one summary line; exits 1 naming every failed check, 2 on a usage error.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
)

const proofFormat = "accessreview-inclusion-proof/1"

type proofsFile struct {
	Inclusion []struct {
		Format     string   `json:"format"`
		Seq        uint64   `json:"seq"`
		TreeSize   uint64   `json:"tree_size"`
		EntryB64   string   `json:"entry_b64"`
		LeafHash   string   `json:"leaf_hash"`
		Proof      []string `json:"proof"`
		Checkpoint string   `json:"checkpoint"`
	} `json:"inclusion"`
	Consistency []struct {
		OldSize uint64   `json:"old_size"`
		NewSize uint64   `json:"new_size"`
		Proof   []string `json:"proof"`
	} `json:"consistency"`
}

type checker struct {
	failures   []string
	leaves     [][]byte          // leaf hashes computed here, by sequence number
	roots      map[uint64][]byte // tree size → root computed here
	cosignedAt []string          // size@time of every cosigned checkpoint that verified
}

func (c *checker) fail(code, where, format string, args ...any) {
	c.failures = append(c.failures, fmt.Sprintf("FAIL %s %s: %s", code, where, fmt.Sprintf(format, args...)))
}

// rootAt is the root of the first size leaves, computed with the library's compact range.
func (c *checker) rootAt(size uint64) []byte {
	if root, ok := c.roots[size]; ok || size > uint64(len(c.leaves)) {
		return root
	}
	rng := (&compact.RangeFactory{Hash: hasher.HashChildren}).NewEmptyRange(0)
	for _, leaf := range c.leaves[:size] {
		_ = rng.Append(leaf, nil)
	}
	c.roots[size], _ = rng.GetRootHash(nil)
	return c.roots[size]
}

func number(path string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	if err != nil {
		return -1
	}
	return n
}

func main() {
	store := flag.String("store", "", "ledger directory written by the file store")
	origin := flag.String("origin", "", "expected origin line (default: the origin the manifests name)")
	proofsPath := flag.String("proofs", "", "JSON of inclusion and consistency proofs to check (optional)")
	var keys []string
	flag.Func("key", "trusted key: note verifier key or path of a public key JSON (repeatable)", func(s string) error {
		keys = append(keys, s)
		return nil
	})
	var witnessArgs []string
	flag.Func("witness-key", "witness key whose cosignatures (witnessed/) must verify (repeatable)", func(s string) error {
		witnessArgs = append(witnessArgs, s)
		return nil
	})
	flag.Parse()
	if *store == "" || len(keys) == 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	var verifiers []note.Verifier
	for _, k := range keys {
		v, err := loadVerifier(k)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ledger-go: key:", err)
			os.Exit(2)
		}
		verifiers = append(verifiers, v)
	}
	known := note.VerifierList(verifiers...)
	var witnesses []note.Verifier
	for _, k := range witnessArgs {
		w, err := loadWitness(k)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ledger-go: witness key:", err)
			os.Exit(2)
		}
		witnesses = append(witnesses, w)
	}
	c := &checker{roots: map[uint64][]byte{}}

	// Segments: every leaf hash recomputed from its entry; the tree and manifest after each one.
	segments, _ := numbered(*store, "segments", "avro")
	if len(segments) == 0 {
		c.fail("segments", *store, "no segments/NNNNNNNNNN.avro")
	}
	sizeAfter := map[int]uint64{} // segment number → tree size after it
	origins := map[int]string{}
	tree := (&compact.RangeFactory{Hash: hasher.HashChildren}).NewEmptyRange(0)
	for i, path := range segments {
		where := filepath.Join("segments", filepath.Base(path))
		if number(path) != i {
			c.fail("segment-gap", where, "expected segment %d", i)
			break
		}
		entries, stored, first, err := readSegment(path)
		if err != nil {
			c.fail("segment", where, "%v", err)
			break // every later size and root would be off
		}
		if first != tree.End() {
			c.fail("sequence", where, "first_seq %d, expected %d", first, tree.End())
			break
		}
		for j, entry := range entries {
			leaf := hasher.HashLeaf(entry)
			if !bytes.Equal(leaf, stored[j]) {
				c.fail("leaf", fmt.Sprintf("%s seq %d", where, first+uint64(j)), "HashLeaf(entry) %x, the segment stores %x", leaf, stored[j])
			}
			c.leaves = append(c.leaves, leaf)
			_ = tree.Append(leaf, nil)
		}
		sizeAfter[i] = tree.End()
		c.roots[tree.End()], _ = tree.GetRootHash(nil)

		mpath := filepath.Join(*store, "manifests", fmt.Sprintf("%010d.json", i))
		m, err := readManifest(mpath)
		if err != nil {
			c.fail("manifest", mpath, "%v", err)
			continue
		}
		origins[i] = m.Origin
		if m.FirstSeq != first || m.Count != uint64(len(entries)) || m.TreeSize != tree.End() {
			c.fail("manifest", mpath, "first_seq/count/tree_size %d/%d/%d, the segment gives %d/%d/%d",
				m.FirstSeq, m.Count, m.TreeSize, first, len(entries), tree.End())
		}
		if !equalHex(c.roots[tree.End()], m.MerkleRoot) {
			c.fail("manifest-root", mpath, "merkle_root %s, recomputed %x", m.MerkleRoot, c.roots[tree.End()])
		}
		frontier := tree.Hashes() // the compact range [0, size): one perfect subtree per set bit, left to right
		same := len(frontier) == len(m.Frontier)
		for k := 0; same && k < len(frontier); k++ {
			same = equalHex(frontier[k], m.Frontier[k])
		}
		if !same {
			c.fail("manifest-frontier", mpath, "frontier %v, recomputed compact range %x", m.Frontier, frontier)
		}
	}

	// Checkpoints: signature by a trusted key, then origin, size and root against the recomputation.
	checkpoints, _ := numbered(*store, "checkpoints", "txt")
	signedRoot := map[uint64][]byte{} // tree size → root of a checkpoint that passed every check
	seen := map[int]bool{}
	verified := 0
	for _, path := range checkpoints {
		n := number(path)
		seen[n] = true
		where := filepath.Join("checkpoints", filepath.Base(path))
		data, err := os.ReadFile(path)
		if err != nil {
			c.fail("checkpoint", where, "%v", err)
			continue
		}
		cp, err := openCheckpoint(data, known)
		if err != nil {
			c.fail("checkpoint-signature", where, "%v", err)
			continue
		}
		size, ok := sizeAfter[n]
		want := origins[n]
		if *origin != "" {
			want = *origin
		}
		switch {
		case !ok:
			c.fail("checkpoint-size", where, "no segment %d was read to check tree size %d against", n, cp.Size)
		case cp.Size != size:
			c.fail("checkpoint-size", where, "tree size %d, the segments up to %d hold %d", cp.Size, n, size)
		case cp.Origin != want:
			c.fail("checkpoint-origin", where, "origin %q, expected %q", cp.Origin, want)
		case !bytes.Equal(cp.Root, c.rootAt(size)):
			c.fail("checkpoint-root", where, "root %x, recomputed %x", cp.Root, c.rootAt(size))
		default:
			verified++
			signedRoot[cp.Size] = cp.Root
		}
	}
	for n := range sizeAfter {
		if !seen[n] {
			c.fail("checkpoint-missing", fmt.Sprintf("checkpoints/%010d.txt", n), "segment %d has no checkpoint", n)
		}
	}

	inclusion, consistency := 0, 0
	if *proofsPath != "" {
		inclusion, consistency = c.checkProofs(*proofsPath, known, signedRoot)
	}
	cosigned := c.checkWitnessed(*store, verifiers, witnesses, sizeAfter)

	fmt.Printf("segments %d, entries %d rehashed; checkpoints %d verified, inclusion %d verified, consistency %d verified; cosigned %d verified\n",
		len(sizeAfter), len(c.leaves), verified, inclusion, consistency, cosigned)
	if len(c.cosignedAt) > 0 {
		fmt.Printf("cosigned (tree size@witness time): %s\n", strings.Join(c.cosignedAt, " "))
	}
	if len(c.failures) > 0 {
		for _, f := range c.failures {
			fmt.Fprintln(os.Stderr, f)
		}
		fmt.Fprintf(os.Stderr, "ledger-go: %d check(s) FAILED\n", len(c.failures))
		os.Exit(1)
	}
}

func (c *checker) checkProofs(path string, known note.Verifiers, signedRoot map[uint64][]byte) (inclusion, consistency int) {
	data, err := os.ReadFile(path)
	var pf proofsFile
	if err == nil {
		err = json.Unmarshal(data, &pf)
	}
	if err != nil {
		c.fail("proofs", path, "%v", err)
		return 0, 0
	}
	for i, b := range pf.Inclusion {
		where := fmt.Sprintf("inclusion[%d] seq %d", i, b.Seq)
		entry, err := base64.StdEncoding.DecodeString(b.EntryB64)
		hashes, herr := decodeHashes(b.Proof)
		if b.Format != proofFormat || err != nil || herr != nil {
			c.fail("proof-malformed", where, "format %q, entry %v, proof %v", b.Format, err, herr)
			continue
		}
		cp, err := openCheckpoint([]byte(b.Checkpoint), known)
		if err != nil {
			c.fail("proof-checkpoint", where, "%v", err)
			continue
		}
		leaf := hasher.HashLeaf(entry) // computed here from the raw entry bytes
		switch {
		case cp.Size != b.TreeSize:
			c.fail("proof-size", where, "tree_size %d, its checkpoint signs %d", b.TreeSize, cp.Size)
		case !bytes.Equal(cp.Root, c.rootAt(cp.Size)):
			c.fail("proof-checkpoint", where, "its checkpoint's root %x is not this store's root at size %d", cp.Root, cp.Size)
		case b.Seq >= uint64(len(c.leaves)) || !bytes.Equal(leaf, c.leaves[b.Seq]):
			c.fail("proof-entry", where, "the entry is not the store's entry %d", b.Seq)
		case b.LeafHash != hex.EncodeToString(leaf):
			c.fail("proof-leaf-hash", where, "leaf_hash %s, HashLeaf(entry) %x", b.LeafHash, leaf)
		default:
			if err := proof.VerifyInclusion(hasher, b.Seq, cp.Size, leaf, hashes, cp.Root); err != nil {
				c.fail("inclusion", where, "%v", err)
			} else {
				inclusion++
			}
		}
	}
	for i, p := range pf.Consistency {
		where := fmt.Sprintf("consistency[%d] %d→%d", i, p.OldSize, p.NewSize)
		hashes, err := decodeHashes(p.Proof)
		oldRoot, okOld := signedRoot[p.OldSize]
		newRoot, okNew := signedRoot[p.NewSize]
		switch {
		case err != nil:
			c.fail("proof-malformed", where, "%v", err)
		case !okOld || !okNew:
			c.fail("consistency", where, "no verified checkpoint of tree size %d and %d", p.OldSize, p.NewSize)
		default:
			if err := proof.VerifyConsistency(hasher, p.OldSize, p.NewSize, hashes, oldRoot, newRoot); err != nil {
				c.fail("consistency", where, "%v", err)
			} else {
				consistency++
			}
		}
	}
	return inclusion, consistency
}
