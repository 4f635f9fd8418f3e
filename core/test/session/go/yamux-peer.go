// An independent yamux peer (hashicorp/yamux, Debian's golang-github-hashicorp-yamux-dev)
// driven by the interop tests in ../interop.test.ts.
//
// Usage: yamux-peer -role server|client -addr HOST:PORT [-backlog N] [-noaccept]
//
// Streams the test opens start with one command byte:
//   E  echo everything back, then close (FIN) after the test's FIN
//   H  read to EOF, answer "<sha256 hex> <bytes>\n", close
//   W  like H, but only start reading after the stdin line "release <id>"
//   G  read an 8-byte big-endian N, send N pseudo-random bytes, close; prints "GEN <id> <sha> <N>"
//   X  read until an error; prints "READERR <id> <error>"
//
// Stdin lines: "release <id>", "open-echo <n>", "open-send <n>", "ping", "goaway", "open-try", "close".
// Stdout lines are the events the test waits for.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/yamux"
)

var (
	outMu    sync.Mutex
	waitMu   sync.Mutex
	releases = map[uint32]chan struct{}{}
)

func say(format string, a ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Printf(format+"\n", a...)
}

func release(id uint32) chan struct{} {
	waitMu.Lock()
	defer waitMu.Unlock()
	ch, ok := releases[id]
	if !ok {
		ch = make(chan struct{})
		releases[id] = ch
	}
	return ch
}

func randomBytes(n int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(n)).Read(b)
	return b
}

func hashAll(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func serve(st *yamux.Stream) {
	defer st.Close()
	cmd := make([]byte, 1)
	if _, err := io.ReadFull(st, cmd); err != nil {
		say("CMDERR %d %v", st.StreamID(), err)
		return
	}
	switch cmd[0] {
	case 'E':
		n, err := io.Copy(st, st)
		say("ECHO %d %d %v", st.StreamID(), n, err)
	case 'W':
		say("WAITING %d", st.StreamID())
		<-release(st.StreamID())
		fallthrough
	case 'H':
		sum, n, err := hashAll(st)
		if err != nil {
			say("HASHERR %d %v", st.StreamID(), err)
			return
		}
		fmt.Fprintf(st, "%s %d\n", sum, n)
	case 'G':
		var lenBuf [8]byte
		if _, err := io.ReadFull(st, lenBuf[:]); err != nil {
			say("GENERR %d %v", st.StreamID(), err)
			return
		}
		n := int64(binary.BigEndian.Uint64(lenBuf[:]))
		data := randomBytes(n)
		sum := sha256.Sum256(data)
		if _, err := st.Write(data); err != nil {
			say("GENERR %d %v", st.StreamID(), err)
			return
		}
		say("GEN %d %s %d", st.StreamID(), hex.EncodeToString(sum[:]), n)
	case 'X':
		_, err := io.Copy(ioutil.Discard, st)
		say("READERR %d %v", st.StreamID(), err)
	default:
		say("CMDERR %d unknown command %q", st.StreamID(), cmd[0])
	}
}

func openEcho(sess *yamux.Session, n int64) {
	st, err := sess.OpenStream()
	if err != nil {
		say("OPEN-ECHO err %v", err)
		return
	}
	data := randomBytes(n)
	go st.Write(data)
	// This yamux snapshot returns EOF from Read once the stream is closed locally, so we
	// read the whole echo before our FIN instead of half-closing first.
	got := make([]byte, n)
	if _, err := io.ReadFull(st, got); err != nil {
		say("OPEN-ECHO err %v", err)
		return
	}
	st.Close()
	if string(got) != string(data) {
		say("OPEN-ECHO mismatch %d %d", len(got), len(data))
		return
	}
	say("OPEN-ECHO ok %d %d", st.StreamID(), len(got))
}

func openSend(sess *yamux.Session, n int64) {
	st, err := sess.OpenStream()
	if err != nil {
		say("OPEN-SEND err %v", err)
		return
	}
	data := randomBytes(n)
	sum := sha256.Sum256(data)
	say("OPEN-SEND start %d %s %d", st.StreamID(), hex.EncodeToString(sum[:]), n)
	if _, err := st.Write(data); err != nil {
		say("OPEN-SEND err %v", err)
		return
	}
	st.Close()
	say("OPEN-SEND written %d", st.StreamID())
	io.Copy(ioutil.Discard, st)
}

func main() {
	role := flag.String("role", "server", "server (listen) or client (dial)")
	addr := flag.String("addr", "127.0.0.1:0", "listen or dial address")
	backlog := flag.Int("backlog", 256, "yamux AcceptBacklog")
	noAccept := flag.Bool("noaccept", false, "never accept inbound streams")
	flag.Parse()

	cfg := yamux.DefaultConfig()
	cfg.AcceptBacklog = *backlog
	cfg.EnableKeepAlive = false
	cfg.LogOutput = os.Stderr

	var sess *yamux.Session
	var err error
	if *role == "server" {
		ln, lerr := net.Listen("tcp", *addr)
		if lerr != nil {
			say("FATAL %v", lerr)
			os.Exit(1)
		}
		say("LISTEN %d", ln.Addr().(*net.TCPAddr).Port)
		conn, aerr := ln.Accept()
		if aerr != nil {
			say("FATAL %v", aerr)
			os.Exit(1)
		}
		ln.Close()
		sess, err = yamux.Server(conn, cfg)
	} else {
		conn, derr := net.Dial("tcp", *addr)
		if derr != nil {
			say("FATAL %v", derr)
			os.Exit(1)
		}
		sess, err = yamux.Client(conn, cfg)
	}
	if err != nil {
		say("FATAL %v", err)
		os.Exit(1)
	}
	say("READY")
	go func() {
		<-sess.CloseChan()
		say("SESSION-CLOSED")
	}()
	if !*noAccept {
		go func() {
			for {
				st, err := sess.AcceptStream()
				if err != nil {
					return
				}
				go serve(st)
			}
		}()
	}

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		arg := int64(0)
		if len(f) > 1 {
			arg, _ = strconv.ParseInt(f[1], 10, 64)
		}
		switch f[0] {
		case "release":
			close(release(uint32(arg)))
		case "open-echo":
			go openEcho(sess, arg)
		case "open-send":
			go openSend(sess, arg)
		case "ping":
			go func() {
				if _, err := sess.Ping(); err != nil {
					say("PING err %v", err)
				} else {
					say("PING ok")
				}
			}()
		case "goaway":
			if err := sess.GoAway(); err != nil {
				say("GOAWAY err %v", err)
			} else {
				say("GOAWAY sent")
			}
		case "open-try":
			if st, err := sess.OpenStream(); err != nil {
				say("OPEN err %v", err)
			} else {
				say("OPEN ok %d", st.StreamID())
			}
		case "close":
			sess.Close()
		}
	}
	// stdin closed: the test is done with us.
	sess.Close()
}
