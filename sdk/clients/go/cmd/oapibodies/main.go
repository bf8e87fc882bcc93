// Command oapibodies fails when the oapi-codegen client takes an untyped request body.
package main

import (
	"paddles-clients/bodies"
	api "paddles-clients/oapi"
)

func main() {
	bodies.Check("oapi-codegen", []bodies.Op{
		{ID: "createJob", Method: (*api.Client).CreateJob, Arg: bodies.OapiCodegen},
		{ID: "updateJob", Method: (*api.Client).UpdateJob, Arg: bodies.OapiCodegen},
		{ID: "createNode", Method: (*api.Client).CreateNode, Arg: bodies.OapiCodegen},
		{ID: "updateNode", Method: (*api.Client).UpdateNode, Arg: bodies.OapiCodegen},
		{ID: "lockManyNodes", Method: (*api.Client).LockManyNodes, Arg: bodies.OapiCodegen},
		{ID: "unlockManyNodes", Method: (*api.Client).UnlockManyNodes, Arg: bodies.OapiCodegen},
		{ID: "createQueue", Method: (*api.Client).CreateQueue, Arg: bodies.OapiCodegen},
		{ID: "updateQueue", Method: (*api.Client).UpdateQueue, Arg: bodies.OapiCodegen},
	})
}
