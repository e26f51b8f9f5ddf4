/**
 * Asks for the read token when the server refused a call for want of one. The page behind stays as it
 * is; once a token is given, the views load again with it.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import './tokenPrompt.css';

export interface TokenPromptProps {
  /** The token sent was refused (rather than none sent). */
  refused: boolean;
  onToken: (token: string) => void;
}

export function TokenPrompt({ refused, onToken }: TokenPromptProps): JSX.Element {
  const [token, setToken] = useState('');
  return (
    <div class="token-backdrop">
      <div class="token-prompt" role="dialog" aria-modal="true" aria-labelledby="token-prompt-title" aria-describedby="token-prompt-text">
        <h2 id="token-prompt-title">Read token required</h2>
        <p id="token-prompt-text">This ducktrace server shows traces only with a read token. It is kept in this browser tab until the tab is closed.</p>
        {refused && (
          <p class="token-prompt-error" role="alert">
            The token was not accepted.
          </p>
        )}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (token.trim() !== '') onToken(token.trim());
          }}
        >
          <label>
            Read token
            <input type="password" autocomplete="off" spellcheck={false} autoFocus value={token} onInput={(event) => setToken(event.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={token.trim() === ''}>
            Use token
          </button>
        </form>
      </div>
    </div>
  );
}
