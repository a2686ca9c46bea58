// Command archive-client is the Go caller of the gateway. It archives
// FROM:TO[,TO...] pairs and prints the BatchResult; with
// --label=CATEGORY:TYPE_ID (repeatable) it removes only those labels of the
// pairs (ArchiveAssociationLabels) and the associations stay; a pair's
// unlabeled type (HUBSPOT_DEFINED, e.g. 279 for contacts to companies) removes
// the whole association, which the gateway refuses unless
// --remove_association_if_unlabeled. A failed call
// prints {"code", "message", "upstreamError"} and exits with the gRPC code;
// a result with errors, or not COMPLETE, exits 20; bad arguments exit 64.
// Output is one line of JSON in the proto3 mapping, as the Python and Node
// callers print it.
//
//	archive-client --target=127.0.0.1:50051 [--from_type=contacts]
//	    [--to_type=companies] [--deadline=30] [--label=USER_DEFINED:36 ...]
//	    101:201,202 102:203
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"

	"hubspot-archive-gateway/client/go/archive"
	v1 "hubspot-archive-gateway/client/go/associationsv1"
)

const (
	exitIncomplete = 20
	exitUsage      = 64
)

// parsePair reads FROM:TO[,TO...].
func parsePair(text string) (*v1.ArchiveInput, error) {
	from, targets, found := strings.Cut(text, ":")
	if !found || from == "" || targets == "" {
		return nil, fmt.Errorf("expected FROM:TO[,TO...], got %q", text)
	}
	input := &v1.ArchiveInput{FromObject: &v1.ObjectId{Id: from}}
	for _, to := range strings.Split(targets, ",") {
		input.ToObjects = append(input.ToObjects, &v1.ObjectId{Id: to})
	}
	return input, nil
}

// parseLabel reads CATEGORY:TYPE_ID.
func parseLabel(text string) (*v1.AssociationType, error) {
	category, typeID, _ := strings.Cut(text, ":")
	value, known := v1.AssociationCategory_value[category]
	id, err := strconv.ParseInt(typeID, 10, 32)
	if !known || err != nil {
		return nil, fmt.Errorf("expected CATEGORY:TYPE_ID, got %q", text)
	}
	return &v1.AssociationType{Category: v1.AssociationCategory(value), TypeId: int32(id)}, nil
}

// labelInputs is one LabelArchiveInput per (from, to) of `pairs`, each with
// every label.
func labelInputs(pairs []*v1.ArchiveInput, labels []*v1.AssociationType) []*v1.LabelArchiveInput {
	var inputs []*v1.LabelArchiveInput
	for _, pair := range pairs {
		for _, to := range pair.ToObjects {
			inputs = append(inputs, &v1.LabelArchiveInput{
				FromObject: pair.FromObject, ToObject: to, Types: labels})
		}
	}
	return inputs
}

func run() int {
	flags := flag.NewFlagSet("archive-client", flag.ContinueOnError)
	target := flags.String("target", "127.0.0.1:50051", "the gateway's host:port")
	fromType := flags.String("from_type", "contacts", "object type of the FROM records")
	toType := flags.String("to_type", "companies", "object type of the TO records")
	deadline := flags.Float64("deadline", 30, "the call's deadline, in seconds (as the Python caller's)")
	removeIfUnlabeled := flags.Bool("remove_association_if_unlabeled", false,
		"with --label: let the pair's unlabeled type go, which deletes the whole association (refused otherwise)")
	var labels []*v1.AssociationType
	flags.Func("label", "CATEGORY:TYPE_ID; remove only these labels of the pairs",
		func(text string) error {
			label, err := parseLabel(text)
			labels = append(labels, label)
			return err
		})
	if err := flags.Parse(os.Args[1:]); err != nil {
		return exitUsage
	}
	var pairs []*v1.ArchiveInput
	for _, arg := range flags.Args() {
		pair, err := parsePair(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return exitUsage
		}
		pairs = append(pairs, pair)
	}
	if len(pairs) == 0 {
		fmt.Fprintln(os.Stderr, "give at least one FROM:TO[,TO...]")
		return exitUsage
	}

	conn, err := grpc.Dial(*target, grpc.WithInsecure())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitUsage
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(),
		time.Duration(*deadline*float64(time.Second)))
	defer cancel()
	client := archive.New(conn)
	var result *v1.BatchResult
	if len(labels) > 0 {
		result, err = client.ArchiveLabels(ctx, &v1.ArchiveAssociationLabelsRequest{
			FromObjectType: *fromType, ToObjectType: *toType, Inputs: labelInputs(pairs, labels),
			RemoveAssociationIfUnlabeled: *removeIfUnlabeled})
	} else {
		result, err = client.Archive(ctx, &v1.ArchiveAssociationsRequest{
			FromObjectType: *fromType, ToObjectType: *toType, Inputs: pairs})
	}
	var failure *archive.Error
	if errors.As(err, &failure) {
		return print(failure.JSON, int(failure.Code))
	}
	status := exitIncomplete
	if result.Status == v1.BatchResult_COMPLETE && len(result.Errors) == 0 {
		status = 0
	}
	return print(func() ([]byte, error) { return archive.MessageJSON(result) }, status)
}

// print writes the JSON line `render` makes and returns `status`.
func print(render func() ([]byte, error), status int) int {
	line, err := render()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 70
	}
	fmt.Println(string(line))
	return status
}

func main() { os.Exit(run()) }
