package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// loadWitness takes a witness key as our key JSON (or a note verifier key) and returns a
// c2sp.org/tlog-cosignature v1 verifier built by transparency-dev/formats, which derives the
// cosigner key hash with type byte 0x04 itself.
func loadWitness(arg string) (note.Verifier, error) {
	vkey := arg
	if _, err := os.Stat(arg); err == nil {
		if vkey, err = vkeyOf(arg); err != nil {
			return nil, err
		}
	}
	return fnote.NewVerifierForCosignatureV1(vkey)
}

// checkWitnessed opens every witnessed/NNNNNNNNNN.txt with the log keys and the witness keys:
// the log's signature and a witness cosignature must verify, and size and root must be the tree
// recomputed after that segment. Returns how many passed and the newest cosignature time.
func (c *checker) checkWitnessed(store string, logKeys, witnessKeys []note.Verifier, sizeAfter map[int]uint64) int {
	if len(witnessKeys) == 0 {
		return 0
	}
	paths, _ := numbered(store, "witnessed", "txt")
	all := note.VerifierList(append(append([]note.Verifier{}, logKeys...), witnessKeys...)...)
	names := map[string]uint32{}
	for _, w := range witnessKeys {
		names[w.Name()] = w.KeyHash()
	}
	verified := 0
	for _, path := range paths {
		n := number(path)
		where := filepath.Join("witnessed", filepath.Base(path))
		data, err := os.ReadFile(path)
		if err != nil {
			c.fail("witnessed", where, "%v", err)
			continue
		}
		opened, err := note.Open(data, all)
		if err != nil {
			c.fail("cosignature", where, "%v", err)
			continue
		}
		var times []string
		for _, sig := range opened.Sigs {
			if hash, ok := names[sig.Name]; ok && hash == sig.Hash {
				t, err := fnote.CoSigV1Timestamp(sig)
				if err != nil {
					c.fail("cosignature", where, "%v", err)
					continue
				}
				times = append(times, t.UTC().Format("2006-01-02T15:04:05Z"))
			}
		}
		if len(times) == 0 {
			c.fail("cosignature-missing", where, "no cosignature by a trusted witness")
			continue
		}
		cp, err := openCheckpoint(data, note.VerifierList(logKeys...))
		if err != nil {
			c.fail("cosigned-checkpoint", where, "%v", err)
			continue
		}
		size, ok := sizeAfter[n]
		switch {
		case !ok || cp.Size != size:
			c.fail("cosigned-size", where, "tree size %d, the segments up to %d hold %d", cp.Size, n, size)
		case !bytes.Equal(cp.Root, c.rootAt(size)):
			c.fail("cosigned-root", where, "root %x, recomputed %x", cp.Root, c.rootAt(size))
		default:
			verified++
			c.cosignedAt = append(c.cosignedAt, fmt.Sprintf("%d@%s", size, strings.Join(times, ",")))
		}
	}
	return verified
}
