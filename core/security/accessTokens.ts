/**
 * The write and read tokens in force: the `writeTokens` / `readTokens` settings together with the
 * files `writeTokensFile` / `readTokensFile` name. A configuration reload and any change of a tokens
 * file load them again; a file that cannot be read, or holds a bad token, leaves the previous tokens in
 * force and is logged.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.js';
import type { Log } from '../logger.js';
import { watchFiles } from '../watchFiles.js';
import { splitTokenFile, splitTokenSetting, tokenProblem, TokenSet } from './tokens.js';

export type TokenSettings = Pick<Config, 'writeTokens' | 'writeTokensFile' | 'readTokens' | 'readTokensFile'>;

type Access = 'write' | 'read';

/** The token set one access kind's settings name. Throws ConfigError naming the file and line of a bad token. */
export function loadTokenSet(inline: string, file: string, access: Access): TokenSet {
  const tokens = splitTokenSetting(inline);
  if (file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`${access}TokensFile: cannot read ${file}: ${(error as Error).message}`);
    }
    const fromFile = splitTokenFile(text);
    // An empty file must not quietly open the listener (a secret mount not filled yet, say).
    if (fromFile.length === 0) throw new ConfigError(`${access}TokensFile: ${file} holds no token`);
    fromFile.forEach((token, index) => {
      const problem = tokenProblem(token);
      if (problem) throw new ConfigError(`${access}TokensFile: ${file}: token ${index + 1}: ${problem}`);
    });
    tokens.push(...fromFile);
  }
  return new TokenSet(tokens);
}

export class AccessTokens {
  write: TokenSet;
  read: TokenSet;
  private settings: TokenSettings;
  private stopWatching: () => void = () => {};

  /** Throws ConfigError when a tokens file cannot be read or holds a bad token. */
  constructor(
    settings: TokenSettings,
    private readonly log: Log,
  ) {
    this.settings = settings;
    this.write = loadTokenSet(settings.writeTokens, settings.writeTokensFile, 'write');
    this.read = loadTokenSet(settings.readTokens, settings.readTokensFile, 'read');
    this.watch();
  }

  /** Applies reloaded settings; throws ConfigError (and keeps the tokens in force) when they cannot be loaded. */
  update(settings: TokenSettings): void {
    const write = loadTokenSet(settings.writeTokens, settings.writeTokensFile, 'write');
    const read = loadTokenSet(settings.readTokens, settings.readTokensFile, 'read');
    this.settings = settings;
    this.write = write;
    this.read = read;
    this.watch();
  }

  close(): void {
    this.stopWatching();
  }

  private watch(): void {
    this.stopWatching();
    const stops = (['write', 'read'] as const).flatMap((access) => {
      const file = this.settings[`${access}TokensFile`];
      return file === '' ? [] : [watchFiles([file], () => this.reloadFile(access))];
    });
    this.stopWatching = () => stops.forEach((stop) => stop());
  }

  private reloadFile(access: Access): void {
    try {
      this[access] = loadTokenSet(this.settings[`${access}Tokens`], this.settings[`${access}TokensFile`], access);
      this.log.info(`ducktrace: ${access} tokens reloaded from ${this.settings[`${access}TokensFile`]} (${this[access].size} in force)`);
    } catch (error) {
      this.log.warn(`ducktrace: ${(error as Error).message}; the previous ${access} tokens stay in force`);
    }
  }
}
