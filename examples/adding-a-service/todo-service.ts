/**
 * The handler file of "Adding a service": `todo.v1.TodoService` translated to a plain store,
 * which it receives by injection. Nothing here knows about protocols, health or metrics.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Todo, TodoService } from "@hello/sdk/todo/v1";

/** Where the items live: any object with these methods (a database client, in real life). */
export interface TodoStore {
  add(title: string): Todo;
  get(id: string): Todo | undefined;
  list(): Todo[];
}

/** An in-memory store; ids are "t1", "t2", … */
export function createTodoStore(): TodoStore {
  const items: Todo[] = [];
  return {
    add(title) {
      const todo = { $typeName: "todo.v1.Todo" as const, id: `t${items.length + 1}`, title };
      items.push(todo);
      return todo;
    },
    get: (id) => items.find((item) => item.id === id),
    list: () => [...items],
  };
}

/** The TodoService handlers over a store. Validation (title 1–200 characters) comes from the proto. */
export function createTodoService(store: TodoStore): ServiceImpl<typeof TodoService> {
  return {
    createTodo(req) {
      return { todo: store.add(req.title) };
    },
    getTodo(req) {
      const todo = store.get(req.id);
      if (todo === undefined) throw new ConnectError(`no to-do with id ${req.id}`, Code.NotFound);
      return { todo };
    },
    async *listTodos() {
      for (const todo of store.list()) yield { todo };
    },
  };
}
