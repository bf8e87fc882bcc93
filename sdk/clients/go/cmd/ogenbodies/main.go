// Command ogenbodies fails when the ogen client takes an untyped request body.
package main

import (
	"paddles-clients/bodies"
	api "paddles-clients/ogen"
)

func main() {
	bodies.Check("ogen", []bodies.Op{
		{ID: "createJob", Method: (*api.Client).CreateJob, Arg: bodies.Ogen},
		{ID: "updateJob", Method: (*api.Client).UpdateJob, Arg: bodies.Ogen},
		{ID: "createNode", Method: (*api.Client).CreateNode, Arg: bodies.Ogen},
		{ID: "updateNode", Method: (*api.Client).UpdateNode, Arg: bodies.Ogen},
		{ID: "lockManyNodes", Method: (*api.Client).LockManyNodes, Arg: bodies.Ogen},
		{ID: "unlockManyNodes", Method: (*api.Client).UnlockManyNodes, Arg: bodies.Ogen},
		{ID: "createQueue", Method: (*api.Client).CreateQueue, Arg: bodies.Ogen},
		{ID: "updateQueue", Method: (*api.Client).UpdateQueue, Arg: bodies.Ogen},
	})
}
