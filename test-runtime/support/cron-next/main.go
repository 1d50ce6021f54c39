// cron-next reads schedules as the Kubernetes API server and CronJob controller do (robfig/cron v3
// ParseStandard, "TZ=<zone> " prefixed when the CronJob has a timeZone) and prints, per input line
// "<schedule>\t<timeZone>\t<from unix s>\t<count>[\tgap]", one JSON line: the parse error, or the next <count>
// run times after <from> and, with "gap", the worst gap (minutes) of runs from local 2025-01-01 to 2053-01-01.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	cron "github.com/robfig/cron" // Debian installs v3 at the v1 path (GOPATH mode)
)

type answer struct {
	Error    string  `json:"error,omitempty"`
	Runs     []int64 `json:"runs,omitempty"`
	Worst    *int64  `json:"worst,omitempty"`
	GaveUpAt int64   `json:"gaveUpAt,omitempty"`
}

func main() {
	time.Local = time.UTC // the controller's zone when a CronJob has no timeZone
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		cols := strings.Split(in.Text(), "\t")
		from, _ := strconv.ParseInt(cols[2], 10, 64)
		count, _ := strconv.Atoi(cols[3])
		_ = out.Encode(evaluate(cols[0], cols[1], from, count, len(cols) > 4 && cols[4] == "gap"))
	}
}

func evaluate(schedule, zone string, from int64, count int, gap bool) (a answer) {
	defer func() {
		if r := recover(); r != nil {
			a = answer{Error: fmt.Sprint("panic: ", r)}
		}
	}()
	spec := schedule
	loc := time.UTC
	if zone != "" {
		var err error
		if loc, err = time.LoadLocation(zone); err != nil {
			return answer{Error: "timeZone: " + err.Error()}
		}
		spec = "TZ=" + zone + " " + schedule
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return answer{Error: err.Error()}
	}
	t := time.Unix(from, 0)
	for i := 0; i < count; i++ {
		t = sched.Next(t)
		if t.IsZero() {
			break
		}
		a.Runs = append(a.Runs, t.Unix())
	}
	if !gap {
		return a
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	end := time.Date(2053, 1, 1, 0, 0, 0, 0, loc)
	t = sched.Next(start.Add(-time.Second))
	if t.IsZero() {
		return a
	}
	var worst int64
	for t.Before(end) {
		n := sched.Next(t)
		if n.IsZero() {
			a.GaveUpAt = t.Unix()
			return a
		}
		if gap := int64(n.Sub(t) / time.Second); gap > worst {
			worst = gap
		}
		t = n
	}
	worst /= 60
	a.Worst = &worst
	return a
}
